// bpfr-trafficgen: sends sequence-numbered UDP probes from XDP live frames, or receives them
// with the XDP sink and reports lost, duplicated and reordered ones.
//
//   bpfr-trafficgen send --netns gen --dev eth0 --dst-mac 02:00:00:00:00:02
//       --src4 10.0.0.1 --dst-file prefixes.txt --count 1000000 --duration 10 [--rate 100000]
//   bpfr-trafficgen receive --netns sink --dev eth0 --expect 1000000 --duration 15 [--drop]
#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab/lab.h"
#include "trafficgen.h"

namespace {

std::atomic<bool> interrupted{false};
bpfr::trafficgen::Generator* running_generator = nullptr;

void on_signal(int) {
  interrupted = true;
  if (running_generator) {
    running_generator->stop();
  }
}

std::string netns_path(const std::string& name) {
  if (name.empty() || name.front() == '/') {
    return name;
  }
  return "/run/netns/" + name;
}

struct SendArgs {
  std::string netns, dev, src_mac, dst_mac, src4 = "0.0.0.0", src6 = "::", dst_file;
  std::vector<std::string> dst;
  size_t limit = 0;
  unsigned size = 64;
  uint64_t count = 0, rate = 0, first_seq = 0;
  double duration = 10;
  uint32_t stream = 1;
  bool json = false;
};

bpfr::Address parse_address(const std::string& text, bpfr::Family family) {
  auto a = bpfr::Address::parse(text);
  if (!a || a->family != family) {
    throw CLI::ValidationError(fmt::format("not an IPv{} address: {}", int(family), text));
  }
  return *a;
}

int send(const SendArgs& a) {
  bpfr::trafficgen::Options o;
  o.netns_path = netns_path(a.netns);
  o.dev = a.dev;
  if (!a.src_mac.empty()) {
    o.src_mac = bpfr::trafficgen::parse_mac(a.src_mac);
  }
  o.dst_mac = bpfr::trafficgen::parse_mac(a.dst_mac);
  o.src_v4 = parse_address(a.src4, bpfr::Family::v4);
  o.src_v6 = parse_address(a.src6, bpfr::Family::v6);
  if (!a.dst_file.empty()) {
    o.destinations = bpfr::trafficgen::read_prefixes(a.dst_file, a.limit);
  }
  for (const auto& d : a.dst) {
    auto p = bpfr::Prefix::parse(d);
    if (!p) {
      throw CLI::ValidationError("not a prefix: " + d);
    }
    o.destinations.push_back(*p);
  }
  o.frame_size = a.size;
  o.count = a.count;
  o.duration = std::chrono::milliseconds(static_cast<int64_t>(a.duration * 1000));
  o.rate_pps = a.rate;
  o.stream = a.stream;
  o.first_seq = a.first_seq;

  bpfr::trafficgen::Generator gen(o);
  running_generator = &gen;
  auto r = gen.run();
  running_generator = nullptr;
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"sent", r.sent},
                                      {"seconds", r.seconds},
                                      {"pps", r.pps()},
                                      {"stream", a.stream},
                                      {"first_seq", a.first_seq}}
                           .dump());
  } else {
    fmt::print("sent {} frames in {:.3f} s: {:.0f} pps, stream {}, seq {}..{}\n", r.sent, r.seconds,
               r.pps(), a.stream, a.first_seq, a.first_seq + r.sent);
  }
  return 0;
}

struct ReceiveArgs {
  std::string netns, dev;
  bool drop = false, json = false;
  uint32_t stream = 0;
  uint64_t expect = 0;
  double duration = 10, idle = 1;
};

int receive(const ReceiveArgs& a) {
  bpfr::lab::SinkOptions opts{.drop = a.drop, .stream = a.stream};
  auto sink = std::make_unique<bpfr::lab::Sink>(netns_path(a.netns), a.dev, opts);

  // Until the expected count arrived, the duration passed, or nothing came for --idle seconds
  // after the first probe.
  auto start = bpfr::lab::Clock::now();
  auto deadline = start + std::chrono::milliseconds(static_cast<int64_t>(a.duration * 1000));
  uint64_t last = 0;
  auto last_change = start;
  while (!interrupted && bpfr::lab::Clock::now() < deadline) {
    auto s = sink->stats();
    if (a.expect && s.probes >= a.expect) {
      break;
    }
    if (s.probes != last) {
      last = s.probes;
      last_change = bpfr::lab::Clock::now();
    } else if (last > 0 && bpfr::lab::Clock::now() - last_change >
                               std::chrono::milliseconds(static_cast<int64_t>(a.idle * 1000))) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto s = sink->stats();
  auto r = sink->sequence(a.expect ? a.expect : s.highest_seq_plus1);
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"packets", s.packets},
                                      {"probes", r.received},
                                      {"unique", r.unique},
                                      {"lost", r.lost},
                                      {"duplicates", r.duplicates},
                                      {"reordered", r.reordered},
                                      {"too_old", r.too_old},
                                      {"other_streams", s.other_streams}}
                           .dump());
  } else {
    fmt::print("frames {}, probes: {}\n", s.packets, r.str());
  }
  return r.lost == 0 && r.duplicates == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Traffic generator and receiver on XDP for the bpfrouter lab"};
  app.require_subcommand(1);

  SendArgs s;
  auto* send_cmd = app.add_subcommand("send", "send probes with BPF_PROG_TEST_RUN live frames");
  send_cmd->add_option("--netns", s.netns, "namespace name or path to run in");
  send_cmd->add_option("--dev", s.dev, "sending device")->required();
  send_cmd->add_option("--src-mac", s.src_mac, "source MAC (default: the device's)");
  send_cmd->add_option("--dst-mac", s.dst_mac, "destination MAC (the next hop)")->required();
  send_cmd->add_option("--src4", s.src4, "IPv4 source address");
  send_cmd->add_option("--src6", s.src6, "IPv6 source address");
  send_cmd->add_option("--dst", s.dst, "destination prefix (repeatable)");
  send_cmd->add_option("--dst-file", s.dst_file, "file of destination prefixes, one a line");
  send_cmd->add_option("--limit", s.limit, "read at most this many prefixes from --dst-file");
  send_cmd->add_option("--size", s.size, "frame size on the wire, with FCS")
      ->check(CLI::Range(64, 1518));
  send_cmd->add_option("--count", s.count, "stop after this many frames (0: no limit)");
  send_cmd->add_option("--duration", s.duration, "stop after this many seconds")
      ->check(CLI::Range(0.001, 3600.0));
  send_cmd->add_option("--rate", s.rate, "frames per second (0: flat out)");
  send_cmd->add_option("--stream", s.stream, "stream id carried in each probe");
  send_cmd->add_option("--first-seq", s.first_seq, "first sequence number");
  send_cmd->add_flag("--json", s.json, "print the report as JSON");

  ReceiveArgs r;
  auto* recv_cmd = app.add_subcommand("receive", "count and check probes with the XDP sink");
  recv_cmd->add_option("--netns", r.netns, "namespace name or path of the device")->required();
  recv_cmd->add_option("--dev", r.dev, "receiving device")->required();
  recv_cmd->add_flag("--drop", r.drop, "drop the frames after counting (default: pass)");
  recv_cmd->add_option("--stream", r.stream, "check this stream only (0: any)");
  recv_cmd->add_option("--expect", r.expect, "stop once this many probes arrived");
  recv_cmd->add_option("--duration", r.duration, "stop after this many seconds")
      ->check(CLI::Range(0.001, 3600.0));
  recv_cmd->add_option("--idle", r.idle, "stop this many seconds after the last probe");
  recv_cmd->add_flag("--json", r.json, "print the report as JSON");

  CLI11_PARSE(app, argc, argv);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  try {
    if (*send_cmd) {
      return send(s);
    }
    return receive(r);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bpfr-trafficgen: {}\n", e.what());
    return 2;
  }
}
