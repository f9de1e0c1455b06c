// bpfr-benchtool: the measurements of tools/bench/run.sh that need BPF syscalls.
//
//   bpfr-benchtool xdp-ns --netns /run/netns/dut --link /sys/fs/bpf/x/links/xdp_in0 --dev in0
//       --prefixes table4.txt --family 4 --samples 20000
//     ns per packet of the program behind a pinned XDP link under BPF_PROG_TEST_RUN, each run on
//     a frame to a fresh random address of the table, net of an empty XDP program run the same way
//   bpfr-benchtool map-count --pin /sys/fs/bpf/x/routes_v4_v1
//     entries of a pinned map
//   bpfr-benchtool map-update --prefixes table4.txt --count 1000000
//     IPv4 LPM-trie inserts per second, one syscall per entry against batches
//
// Every subcommand prints one JSON object.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "bpfrouter/maps.h"
#include "lab/lab.h"
#include "trafficgen.h"

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr uint32_t kUpdateBatch = 8192;
constexpr size_t kFrameV4 = 60;  // 64 bytes on the wire without the FCS
constexpr size_t kFrameV6 = 78;  // the smallest UDP frame over IPv6 the generator sends too
constexpr uint16_t kUdpPort = 9;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      close(fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<bpfr::Prefix> prefixes_of(const std::string& path, bpfr::Family family) {
  auto all = bpfr::trafficgen::read_prefixes(path);
  std::erase_if(all, [&](const bpfr::Prefix& p) { return p.family() != family; });
  if (all.empty()) {
    fail(fmt::format("no IPv{} prefixes in {}", int(family), path));
  }
  return all;
}

// A random address inside p.
bpfr::Address random_inside(const bpfr::Prefix& p, std::mt19937_64& rng) {
  bpfr::Address a = p.addr;
  for (unsigned bit = p.len; bit < a.bits(); bit++) {
    if (rng() & 1) {
      a.bytes[bit / 8] |= 0x80 >> (bit % 8);
    }
  }
  return a;
}

uint16_t ipv4_checksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) {
    sum += (header[i] << 8) | header[i + 1];
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

// A UDP frame from the generator's side of the lab to dst, the size the generator sends.
std::vector<uint8_t> udp_frame(const bpfr::Address& dst, const bpfr::Address& src) {
  bool v4 = dst.family == bpfr::Family::v4;
  std::vector<uint8_t> f(v4 ? kFrameV4 : kFrameV6, 0);
  const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 2}, src_mac[6] = {0x02, 0, 0, 0, 0, 1};
  std::memcpy(&f[0], dst_mac, 6);
  std::memcpy(&f[6], src_mac, 6);
  size_t udp = 0;
  if (v4) {
    f[12] = 0x08, f[13] = 0x00;
    uint8_t* ip = &f[14];
    uint16_t total = static_cast<uint16_t>(f.size() - 14);
    ip[0] = 0x45, ip[2] = total >> 8, ip[3] = total & 0xff, ip[8] = 64, ip[9] = 17;
    std::memcpy(ip + 12, src.bytes.data(), 4);
    std::memcpy(ip + 16, dst.bytes.data(), 4);
    uint16_t sum = ipv4_checksum(ip);
    ip[10] = sum >> 8, ip[11] = sum & 0xff;
    udp = 14 + 20;
  } else {
    f[12] = 0x86, f[13] = 0xdd;
    uint8_t* ip = &f[14];
    uint16_t payload = static_cast<uint16_t>(f.size() - 14 - 40);
    ip[0] = 0x60, ip[4] = payload >> 8, ip[5] = payload & 0xff, ip[6] = 17, ip[7] = 64;
    std::memcpy(ip + 8, src.bytes.data(), 16);
    std::memcpy(ip + 24, dst.bytes.data(), 16);
    udp = 14 + 40;
  }
  uint16_t udp_len = static_cast<uint16_t>(f.size() - udp);
  f[udp + 1] = kUdpPort, f[udp + 3] = kUdpPort;  // checksum 0: valid for IPv4, unchecked by XDP
  f[udp + 4] = udp_len >> 8, f[udp + 5] = udp_len & 0xff;
  return f;
}

int program_behind_link(const std::string& pin) {
  Fd link(bpf_obj_get(pin.c_str()));
  if (link.fd < 0) {
    fail(fmt::format("open pinned link {}: {}", pin, std::strerror(errno)));
  }
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(link.fd, &info, &len) != 0) {
    fail(fmt::format("link info of {}: {}", pin, std::strerror(errno)));
  }
  int prog = bpf_prog_get_fd_by_id(info.prog_id);
  if (prog < 0) {
    fail(fmt::format("program {} behind {}: {}", info.prog_id, pin, std::strerror(errno)));
  }
  return prog;
}

// An XDP program that only returns XDP_PASS: what BPF_PROG_TEST_RUN costs by itself.
int empty_program() {
  const bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
      {.code = BPF_JMP | BPF_EXIT},
  };
  int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_empty", "GPL", insns, 2, nullptr);
  if (fd < 0) {
    fail(fmt::format("load the empty XDP program: {}", std::strerror(errno)));
  }
  return fd;
}

struct RunResult {
  uint32_t verdict = 0;
  uint32_t ns = 0;
};

RunResult test_run(int prog, std::vector<uint8_t> frame, int ifindex) {
  xdp_md ctx{};
  ctx.data_end = static_cast<uint32_t>(frame.size());
  ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx), .repeat = 1);
  if (bpf_prog_test_run_opts(prog, &opts) != 0) {
    fail(fmt::format("BPF_PROG_TEST_RUN: {}", std::strerror(errno)));
  }
  return {opts.retval, opts.duration};
}

std::string verdict_name(uint32_t v) {
  static const char* names[] = {"aborted", "drop", "pass", "tx", "redirect"};
  return v < 5 ? names[v] : std::to_string(v);
}

struct XdpNsArgs {
  std::string netns, link, dev, prefixes;
  int family = 4;
  size_t samples = 20000;
};

// Each destination runs once (repeat 1), so the caches see what a flood of random destinations
// does to them; the kernel's per-run clock costs the same in both programs and cancels out.
int xdp_ns(const XdpNsArgs& a) {
  auto family = a.family == 4 ? bpfr::Family::v4 : bpfr::Family::v6;
  auto prefixes = prefixes_of(a.prefixes, family);
  Fd prog(program_behind_link(a.link));
  Fd empty(empty_program());
  bpfr::lab::NetnsEnter enter(a.netns);
  int ifindex = static_cast<int>(if_nametoindex(a.dev.c_str()));
  if (ifindex == 0) {
    fail(fmt::format("no device {} in {}", a.dev, a.netns));
  }

  auto src = *bpfr::Address::parse(family == bpfr::Family::v4 ? "10.97.1.1" : "fd97:1::1");
  std::mt19937_64 rng(7);
  std::map<std::string, uint64_t> verdicts;
  uint64_t router_ns = 0, empty_ns = 0;
  for (size_t i = 0; i < a.samples; i++) {
    auto frame = udp_frame(random_inside(prefixes[rng() % prefixes.size()], rng), src);
    auto r = test_run(prog.fd, frame, ifindex);
    router_ns += r.ns;
    verdicts[verdict_name(r.verdict)]++;
    empty_ns += test_run(empty.fd, frame, ifindex).ns;
  }
  double per = double(router_ns) / a.samples, base = double(empty_ns) / a.samples;
  fmt::print("{}\n", Json{{"family", a.family},
                          {"prefixes", prefixes.size()},
                          {"samples", a.samples},
                          {"ns", per},
                          {"empty_ns", base},
                          {"net_ns", per - base},
                          {"verdicts", verdicts}}
                         .dump());
  return 0;
}

int map_count(const std::string& pin) {
  Fd map(bpf_obj_get(pin.c_str()));
  if (map.fd < 0) {
    fail(fmt::format("open pinned map {}: {}", pin, std::strerror(errno)));
  }
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(map.fd, &info, &len) != 0) {
    fail(fmt::format("map info of {}: {}", pin, std::strerror(errno)));
  }
  std::vector<uint8_t> key(info.key_size), next(info.key_size);
  uint64_t count = 0;
  auto start = Clock::now();
  void* prev = nullptr;
  while (bpf_map_get_next_key(map.fd, prev, next.data()) == 0) {
    count++;
    key.swap(next);
    prev = key.data();
  }
  fmt::print("{}\n",
             Json{{"map", pin}, {"entries", count}, {"seconds", seconds_since(start)}}.dump());
  return 0;
}

int lpm_trie_v4(uint32_t max_entries) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
  int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "bench_routes", sizeof(bpfr_route_key_v4),
                          sizeof(bpfr_route_value), max_entries, &opts);
  if (fd < 0) {
    fail(fmt::format("create an LPM trie of {}: {}", max_entries, std::strerror(errno)));
  }
  return fd;
}

struct Entries {
  std::vector<bpfr_route_key_v4> keys;
  std::vector<bpfr_route_value> values;
};

Entries entries_of(const std::vector<bpfr::Prefix>& prefixes) {
  Entries e;
  for (size_t i = 0; i < prefixes.size(); i++) {
    bpfr_route_key_v4 key{prefixes[i].len, {}};
    std::memcpy(key.addr, prefixes[i].addr.bytes.data(), 4);
    e.keys.push_back(key);
    e.values.push_back({uint32_t(i % BPFR_MAX_NEXTHOPS), uint32_t(i), BPFR_ROUTE_FORWARD, 0, 0});
  }
  return e;
}

// Inserts per second one syscall at a time, then in batches of kUpdateBatch (null when the
// kernel has no batch updates for LPM tries).
int map_update(const std::string& path, size_t count) {
  auto prefixes = prefixes_of(path, bpfr::Family::v4);
  if (count && prefixes.size() > count) {
    prefixes.resize(count);
  }
  auto e = entries_of(prefixes);
  auto n = static_cast<uint32_t>(e.keys.size());

  Fd single(lpm_trie_v4(n));
  auto start = Clock::now();
  for (uint32_t i = 0; i < n; i++) {
    if (bpf_map_update_elem(single.fd, &e.keys[i], &e.values[i], BPF_ANY) != 0) {
      fail(fmt::format("insert {}: {}", prefixes[i].str(), std::strerror(errno)));
    }
  }
  double single_s = seconds_since(start);

  Fd batched(lpm_trie_v4(n));
  Json batch_rate = nullptr;
  std::string batch_error;
  start = Clock::now();
  for (uint32_t first = 0; first < n; first += kUpdateBatch) {
    uint32_t chunk = std::min(kUpdateBatch, n - first);
    if (bpf_map_update_batch(batched.fd, &e.keys[first], &e.values[first], &chunk, nullptr) != 0) {
      batch_error = std::strerror(errno);
      break;
    }
  }
  if (batch_error.empty()) {
    batch_rate = n / seconds_since(start);
  }
  fmt::print("{}\n", Json{{"entries", n},
                          {"single_per_s", n / single_s},
                          {"batch_per_s", batch_rate},
                          {"batch_error", batch_error}}
                         .dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"BPF measurements for the bpfrouter benchmarks"};
  app.require_subcommand(1);

  XdpNsArgs x;
  auto* xdp_cmd = app.add_subcommand("xdp-ns", "ns per packet of a pinned XDP link's program");
  xdp_cmd->add_option("--netns", x.netns, "namespace path of the device")->required();
  xdp_cmd->add_option("--link", x.link, "pinned XDP link")->required();
  xdp_cmd->add_option("--dev", x.dev, "the device frames arrive on")->required();
  xdp_cmd->add_option("--prefixes", x.prefixes, "destinations: prefix list")->required();
  xdp_cmd->add_option("--family", x.family, "4 or 6")->check(CLI::IsMember({4, 6}));
  xdp_cmd->add_option("--samples", x.samples, "frames, one run each")
      ->check(CLI::Range(1, 10000000));

  std::string pin;
  auto* count_cmd = app.add_subcommand("map-count", "entries of a pinned map");
  count_cmd->add_option("--pin", pin, "pinned map")->required();

  std::string update_prefixes;
  size_t update_count = 0;
  auto* update_cmd = app.add_subcommand("map-update", "LPM-trie inserts, single and batched");
  update_cmd->add_option("--prefixes", update_prefixes, "prefix list")->required();
  update_cmd->add_option("--count", update_count, "at most this many IPv4 prefixes (0: all)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*xdp_cmd) {
      return xdp_ns(x);
    }
    if (*count_cmd) {
      return map_count(pin);
    }
    return map_update(update_prefixes, update_count);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bpfr-benchtool: {}\n", e.what());
    return 2;
  }
}
