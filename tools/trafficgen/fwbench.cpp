// bpfr-fwbench: forwarding rate through a namespace, side by side in one run, for the cases that
// need no daemon: the Linux kernel with the table in its FIB, and a bare XDP redirect (the
// ceiling). generator --veth--> dut --veth--> sink; 64-byte frames to a fresh random address
// of the table for every frame; the rate is what the sink received.
//
//   bpfr-fwbench --prefixes /run/bpfrouter-lab/bpfrlab/prefixes.txt --duration 3
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lab/lab.h"
#include "trafficgen.h"

namespace {

using namespace std::chrono_literals;
namespace lab = bpfr::lab;
namespace tg = bpfr::trafficgen;

struct Args {
  std::string prefixes;
  size_t limit = 0;
  std::string family = "both";
  double duration = 3;
  std::vector<std::string> cases{"redirect", "kernel"};
  bool json = false;
};

struct CaseResult {
  std::string name;
  uint64_t sent = 0, received = 0;
  double seconds = 0;
  double rx_pps() const { return seconds > 0 ? received / seconds : 0; }
};

// The device under test and its two neighbours.
struct Bench {
  lab::Netns gen{"fwb"}, dut{"fwb"}, sink_ns{"fwb"};
  lab::Veth in{{gen, "eth0", {"10.96.1.1/24", "fd96:1::1/64"}},
               {dut, "in0", {"10.96.1.2/24", "fd96:1::2/64"}}};
  lab::Veth out{{dut, "out0", {"10.96.2.1/24", "fd96:2::1/64"}},
                {sink_ns, "eth0", {"10.96.2.2/24", "fd96:2::2/64"}}};
  lab::Sink sink{sink_ns, "eth0", {.drop = true, .stream = 77}};

  Bench() {
    dut.enable_forwarding();
    dut.ip("neigh replace 10.96.2.2 lladdr " + out.mac_b() + " dev out0");
    dut.ip("-6 neigh replace fd96:2::2 lladdr " + out.mac_b() + " dev out0");
  }

  // Every prefix into the dut's FIB, toward the sink.
  void load_fib(const std::vector<bpfr::Prefix>& prefixes) {
    lab::TempDir dir("bpfr-fwbench");
    {
      std::ofstream batch(dir / "routes");
      for (const auto& p : prefixes) {
        batch << "route replace " << p.str() << " via "
              << (p.family() == bpfr::Family::v4 ? "10.96.2.2" : "fd96:2::2") << "\n";
      }
    }
    lab::check(dut.run({"ip", "-batch", (dir / "routes").string()}, 600s), "ip -batch routes");
  }

  CaseResult measure(const std::string& name, const tg::Options& base, double seconds) {
    tg::Options o = base;
    o.netns_path = gen.path();
    o.dst_mac = tg::parse_mac(in.mac_b());
    o.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    uint64_t before = sink.stats().probes;
    auto report = tg::Generator(o).run();
    // Frames still in flight land within milliseconds.
    lab::wait_until([&] { return sink.stats().probes - before >= report.sent; }, 500ms);
    return {name, report.sent, sink.stats().probes - before, report.seconds};
  }
};

int run(const Args& a) {
  auto prefixes = tg::read_prefixes(a.prefixes, 0);
  std::erase_if(prefixes, [&](const bpfr::Prefix& p) {
    return (a.family == "4" && p.family() != bpfr::Family::v4) ||
           (a.family == "6" && p.family() != bpfr::Family::v6);
  });
  if (a.limit && prefixes.size() > a.limit) {
    prefixes.resize(a.limit);
  }
  size_t v4 = std::count_if(prefixes.begin(), prefixes.end(),
                            [](const auto& p) { return p.family() == bpfr::Family::v4; });
  fmt::print(stderr, "fwbench: {} prefixes ({} IPv4, {} IPv6), {} s per case\n", prefixes.size(),
             v4, prefixes.size() - v4, a.duration);

  Bench bench;
  tg::Options o;
  o.dev = "eth0";
  o.src_v4 = *bpfr::Address::parse("10.96.1.1");
  o.src_v6 = *bpfr::Address::parse("fd96:1::1");
  o.destinations = prefixes;
  o.stream = 77;

  std::vector<CaseResult> results;
  for (const auto& name : a.cases) {
    if (name == "redirect") {
      lab::BareRedirect redirect(bench.dut, "in0", "out0");
      results.push_back(bench.measure(name, o, a.duration));
    } else if (name == "kernel") {
      auto start = lab::Clock::now();
      bench.load_fib(prefixes);
      fmt::print(stderr, "fwbench: kernel FIB loaded in {:.1f} s\n",
                 std::chrono::duration<double>(lab::Clock::now() - start).count());
      auto pass = lab::attach_pass(bench.dut, "in0");
      results.push_back(bench.measure(name, o, a.duration));
    } else {
      throw CLI::ValidationError("unknown case " + name);
    }
    fmt::print(stderr, "fwbench: {}: {:.0f} pps received\n", name, results.back().rx_pps());
  }

  double ceiling = 0;
  for (const auto& r : results) {
    if (r.name == "redirect") {
      ceiling = r.rx_pps();
    }
  }
  if (a.json) {
    auto j = nlohmann::json::array();
    for (const auto& r : results) {
      j.push_back({{"case", r.name},
                   {"prefixes", prefixes.size()},
                   {"sent", r.sent},
                   {"received", r.received},
                   {"seconds", r.seconds},
                   {"rx_pps", r.rx_pps()}});
    }
    fmt::print("{}\n", j.dump());
    return 0;
  }
  fmt::print("{:<10} {:>10} {:>12} {:>12} {:>10}\n", "case", "prefixes", "sent pps", "rx pps",
             "/redirect");
  for (const auto& r : results) {
    fmt::print("{:<10} {:>10} {:>12.0f} {:>12.0f} {:>10}\n", r.name, prefixes.size(),
               r.sent / r.seconds, r.rx_pps(),
               ceiling > 0 ? fmt::format("{:.2f}", r.rx_pps() / ceiling) : "-");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Forwarding rate of the kernel and of a bare XDP redirect, side by side"};
  Args a;
  app.add_option("--prefixes", a.prefixes, "prefix list (tools/table-feeder.py --prefixes)")
      ->required();
  app.add_option("--limit", a.limit, "use the first N prefixes");
  app.add_option("--family", a.family, "4, 6 or both")->check(CLI::IsMember({"4", "6", "both"}));
  app.add_option("--duration", a.duration, "seconds per case")->check(CLI::Range(0.1, 60.0));
  app.add_option("--cases", a.cases, "redirect, kernel")->delimiter(',');
  app.add_flag("--json", a.json, "print JSON");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(a);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bpfr-fwbench: {}\n", e.what());
    return 2;
  }
}
