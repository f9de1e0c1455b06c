// lookup-bench: what one route lookup costs on the packet path, under BPF_PROG_TEST_RUN, with
// a full table: the fast tables against the LPM tries and against one random read in a 64 MiB
// array, net of a program that walks the same destinations without looking them up.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "bpfrouter/maps.h"
#include "common/prefix_list.h"
#include "dataplane/fast_table.h"
#include "lookup_bench.skel.h"

namespace {

using bpfr::Address;
using bpfr::Family;
using bpfr::Prefix;

constexpr int kBatch = 64;  // BENCH_BATCH in bpf/lookup_bench.bpf.c

struct Options {
  std::string table;
  size_t v4 = 1'000'000;
  size_t v6 = 230'000;
  size_t destinations = 1 << 20;
  uint32_t repeat = 20000;
  uint32_t v6_nodes = BPFR_FIB6_NODES;
};

// ns per run of prog, averaged by the kernel over repeat runs.
double run_ns(bpf_program* prog, uint32_t repeat) {
  unsigned char frame[64] = {};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof frame,
              .repeat = int(repeat));
  if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0)
    throw std::runtime_error(
        fmt::format("test run {}: {}", bpf_program__name(prog), strerror(errno)));
  if (opts.retval != XDP_PASS)
    throw std::runtime_error(fmt::format("{} returned {}", bpf_program__name(prog), opts.retval));
  return opts.duration;
}

void fill_destinations(lookup_bench_bpf* skel, const std::vector<Prefix>& prefixes, Family family,
                       size_t count, std::mt19937_64& rng) {
  std::vector<const Prefix*> of_family;
  for (const auto& p : prefixes)
    if (p.family() == family)
      of_family.push_back(&p);

  int fd = bpf_map__fd(skel->maps.bench_addrs);
  for (uint32_t i = 0; i < count; i++) {
    Address a = of_family[rng() % of_family.size()]->addr;
    unsigned len = of_family[rng() % of_family.size()]->len;  // random host bits below
    for (unsigned bit = len; bit < a.bits(); bit++)
      if (rng() & 1)
        a.bytes[bit / 8] |= 0x80 >> (bit % 8);
    bpf_map_update_elem(fd, &i, a.bytes.data(), BPF_ANY);
  }
}

void fill_trie(lookup_bench_bpf* skel, const Prefix& p, uint32_t id) {
  bpfr_route_value value{id % BPFR_MAX_NEXTHOPS, id, BPFR_ROUTE_FORWARD, 0, 0};
  if (p.family() == Family::v4) {
    bpfr_route_key_v4 key{p.len, {}};
    std::memcpy(key.addr, p.addr.bytes.data(), 4);
    bpf_map_update_elem(bpf_map__fd(skel->maps.trie_v4_map), &key, &value, BPF_ANY);
  } else {
    bpfr_route_key_v6 key{p.len, {}};
    std::memcpy(key.addr, p.addr.bytes.data(), 16);
    bpf_map_update_elem(bpf_map__fd(skel->maps.trie_v6_map), &key, &value, BPF_ANY);
  }
}

std::span<uint64_t> mapped(bpf_map* map) {
  auto table = bpfr::dp::fastfib_mmap(map);
  if (table.empty())
    throw std::runtime_error(fmt::format("mmap {}: {}", bpf_map__name(map), strerror(errno)));
  return table;
}

int run(const Options& o) {
  auto list = bpfr::read_prefix_list(o.table);
  if (list.prefixes.empty()) {
    fmt::print(stderr, "lookup-bench: no prefixes in {}\n", o.table);
    return 1;
  }
  std::mt19937_64 rng(42);
  auto& prefixes = list.prefixes;
  std::vector<Prefix> v4, v6;
  for (const auto& p : prefixes)
    (p.family() == Family::v4 ? v4 : v6).push_back(p);
  if (v4.size() > o.v4)
    v4.resize(o.v4);
  if (v6.size() > o.v6)
    v6.resize(o.v6);
  bpfr::top_up_prefixes(v4, Family::v4, o.v4, rng);
  bpfr::top_up_prefixes(v6, Family::v6, o.v6, rng);

  auto* skel = lookup_bench_bpf__open();
  if (!skel)
    throw std::runtime_error("open bpf/lookup_bench.bpf.c");
  size_t destinations = std::min<size_t>(o.destinations, 1 << 20);
  skel->rodata->n_addrs = uint32_t(destinations);
  bpfr::dp::fastfib_size_maps(skel->maps.fib4_tbl24, skel->maps.fib4_tbl8, skel->maps.fib6_root,
                              skel->maps.fib6_nodes, BPFR_FIB4_GROUPS, o.v6_nodes);
  if (lookup_bench_bpf__load(skel) != 0)
    throw std::runtime_error("load bpf/lookup_bench.bpf.c (root and BPF needed)");

  bpfr::dp::MultibitTable fib4(bpfr::dp::kFib4Shape, mapped(skel->maps.fib4_tbl24),
                               mapped(skel->maps.fib4_tbl8));
  bpfr::dp::MultibitTable fib6(bpfr::dp::kFib6Shape, mapped(skel->maps.fib6_root),
                               mapped(skel->maps.fib6_nodes));

  auto start = std::chrono::steady_clock::now();
  uint32_t id = 1;
  for (const auto& p : v4)
    fib4.set(p, {id, id % BPFR_MAX_NEXTHOPS, 0, 0}), id++;
  for (const auto& p : v6)
    fib6.set(p, {id, id % BPFR_MAX_NEXTHOPS, 0, 0}), id++;
  double fast_load =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  start = std::chrono::steady_clock::now();
  id = 1;
  for (const auto& p : v4)
    fill_trie(skel, p, id++);
  for (const auto& p : v6)
    fill_trie(skel, p, id++);
  double trie_load =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fill_destinations(skel, v4, Family::v4, destinations, rng);
  double empty4 = run_ns(skel->progs.bench_empty, o.repeat);
  double array = run_ns(skel->progs.bench_array, o.repeat) - empty4;
  double fast4 = run_ns(skel->progs.bench_fastfib_v4, o.repeat) - empty4;
  double trie4 = run_ns(skel->progs.bench_trie_v4, o.repeat) - empty4;

  fill_destinations(skel, v6, Family::v6, destinations, rng);
  double empty6 = run_ns(skel->progs.bench_empty, o.repeat);
  double fast6 = run_ns(skel->progs.bench_fastfib_v6, o.repeat) - empty6;
  double trie6 = run_ns(skel->progs.bench_trie_v6, o.repeat) - empty6;

  auto per = [](double ns) { return ns / kBatch; };
  fmt::print(
      "lookup-bench: {} IPv4 and {} IPv6 prefixes, {} random destinations, "
      "{} runs of {} lookups, ns per lookup net of the empty walk ({:.1f} ns)\n",
      v4.size(), v6.size(), destinations, o.repeat, kBatch, per(empty4));
  fmt::print("{:<34} {:>10} {:>14}\n", "lookup", "ns", "vs 1 read");
  fmt::print("{:<34} {:>10.1f} {:>14.2f}\n", "one random read, 64 MiB array", per(array), 1.0);
  fmt::print("{:<34} {:>10.1f} {:>14.2f}\n", "IPv4 fast table (DIR-24-8)", per(fast4),
             fast4 / array);
  fmt::print("{:<34} {:>10.1f} {:>14.2f}\n", "IPv4 LPM trie", per(trie4), trie4 / array);
  fmt::print("{:<34} {:>10.1f} {:>14.2f}\n", "IPv6 fast table (24-8-8-8)", per(fast6),
             fast6 / array);
  fmt::print("{:<34} {:>10.1f} {:>14.2f}\n", "IPv6 LPM trie", per(trie6), trie6 / array);
  fmt::print("targets: IPv4 fast <= 2x one read: {:.2f}x {}; IPv6 fast <= 4x: {:.2f}x {}\n",
             fast4 / array, fast4 / array <= 2 ? "met" : "MISSED", fast6 / array,
             fast6 / array <= 4 ? "met" : "MISSED");
  fmt::print(
      "fast tables: {} MiB ({} IPv4 groups, {} IPv6 nodes in use), loaded in {:.2f} s; "
      "tries loaded in {:.2f} s\n",
      (fib4.table_bytes() + fib6.table_bytes()) >> 20, fib4.nodes_in_use(), fib6.nodes_in_use(),
      fast_load, trie_load);

  lookup_bench_bpf__destroy(skel);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Route lookup cost with a full table under BPF_PROG_TEST_RUN"};
  Options o;
  const char* shared = getenv("BPFR_SHARED_DIR");  // shared/ stands beside the checkout
  o.table = std::string(shared ? shared : BPFR_SOURCE_DIR "/../shared") +
            "/data/prefixlists/isp-full-table-v4-v6.txt.gz";
  app.add_option("--table", o.table, "prefix list (CIDR per line, .gz or plain)");
  app.add_option("--v4", o.v4, "IPv4 prefixes: the list's first ones, topped up")
      ->check(CLI::Range(1, 4000000));
  app.add_option("--v6", o.v6, "IPv6 prefixes: the list's first ones, topped up")
      ->check(CLI::Range(1, 500000));
  app.add_option("--destinations", o.destinations, "random destinations walked")
      ->check(CLI::Range(64, 1 << 20));
  app.add_option("--v6-nodes", o.v6_nodes, "nodes of the IPv6 table (2 KiB each)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--repeat", o.repeat, "runs of 64 lookups per measurement")
      ->check(CLI::Range(1, 10000000));
  CLI11_PARSE(app, argc, argv);

  try {
    return run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "lookup-bench: {}\n", e.what());
    return 1;
  }
}
