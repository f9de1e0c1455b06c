// The BPF table walk alone (bpf/fastfib_probe.bpf.c) over the real ISP table, 64 lookups per
// BPF_PROG_TEST_RUN, while another thread rewrites entries: a tight loop that would catch a torn
// or half-published entry. router_test.cpp checks the real program against a reference.
// Needs root.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "common/prefix_list.h"
#include "dataplane/fast_table.h"
#include "fastfib/reference.h"
#include "fastfib_probe.skel.h"

namespace bpfr::dp {
namespace {

using testing::decode_entry;
using testing::random_inside;
using testing::ReferenceLpm;

constexpr int kBatch = 64;

// struct fib_probe in bpf/fastfib_probe.bpf.c
struct Probe {
  uint8_t addr[16];
  uint64_t entry;
};
static_assert(sizeof(Probe) == 24);

class FastFibBpf : public ::testing::Test {
 protected:
  // Failures here are reported by every test (SetUp), so a broken setup never looks skipped.
  static void SetUpTestSuite() {
    skel_ = fastfib_probe_bpf__open();
    if (!skel_ ||
        fastfib_size_maps(skel_->maps.fib4_tbl24, skel_->maps.fib4_tbl8, skel_->maps.fib6_root,
                          skel_->maps.fib6_nodes) != 0 ||
        fastfib_probe_bpf__load(skel_) != 0) {
      setup_error_ = "loading bpf/fastfib_probe.bpf.c failed (needs root and BPF)";
      return;
    }

    auto tbl24 = fastfib_mmap(skel_->maps.fib4_tbl24);
    auto tbl8 = fastfib_mmap(skel_->maps.fib4_tbl8);
    auto root6 = fastfib_mmap(skel_->maps.fib6_root);
    auto nodes6 = fastfib_mmap(skel_->maps.fib6_nodes);
    if (tbl24.empty() || tbl8.empty() || root6.empty() || nodes6.empty()) {
      setup_error_ = "mmap of the fast tables failed";
      return;
    }
    fib4_ = new MultibitTable(kFib4Shape, tbl24, tbl8, std::chrono::milliseconds(100));
    fib6_ = new MultibitTable(kFib6Shape, root6, nodes6, std::chrono::milliseconds(100));
    ref4_ = new ReferenceLpm(Family::v4);
    ref6_ = new ReferenceLpm(Family::v6);

    prefixes_ = new std::vector<Prefix>(read_prefix_list(testing::isp_table_path()).prefixes);
    if (prefixes_->size() < 1000000) {
      setup_error_ = "the ISP table is missing: " + testing::isp_table_path();
      return;
    }

    auto start = std::chrono::steady_clock::now();
    uint32_t slot = 0;
    for (const auto& p : *prefixes_)
      table(p.family()).set(p, FibResult{slot++, slot % 65536, 0, 0});
    auto took = std::chrono::steady_clock::now() - start;
    std::printf(
        "fastfib: loaded %zu prefixes in %.2f s; IPv4 %zu groups, IPv6 %zu nodes, "
        "tables %zu MiB\n",
        prefixes_->size(), std::chrono::duration<double>(took).count(), fib4_->nodes_in_use(),
        fib6_->nodes_in_use(), (fib4_->table_bytes() + fib6_->table_bytes()) >> 20);

    slot = 0;
    for (const auto& p : *prefixes_)
      reference(p.family()).set(p, FibResult{slot++, slot % 65536, 0, 0});
  }

  static void TearDownTestSuite() {
    delete fib4_;
    delete fib6_;
    delete ref4_;
    delete ref6_;
    delete prefixes_;
    fastfib_probe_bpf__destroy(skel_);
  }

  void SetUp() override {
    if (!setup_error_.empty())
      FAIL() << setup_error_;
  }

  static MultibitTable& table(Family f) { return f == Family::v4 ? *fib4_ : *fib6_; }
  static ReferenceLpm& reference(Family f) { return f == Family::v4 ? *ref4_ : *ref6_; }

  // Runs the BPF lookup over addrs (one family), kBatch at a time.
  static std::vector<uint64_t> bpf_lookup(Family family, const std::vector<Address>& addrs) {
    bpf_program* prog =
        family == Family::v4 ? skel_->progs.fastfib_probe_v4 : skel_->progs.fastfib_probe_v6;
    std::vector<uint64_t> out;
    out.reserve(addrs.size());
    for (size_t i = 0; i < addrs.size(); i += kBatch) {
      Probe batch[kBatch] = {};
      size_t n = std::min<size_t>(kBatch, addrs.size() - i);
      for (size_t k = 0; k < n; k++)
        std::memcpy(batch[k].addr, addrs[i + k].bytes.data(), 16);

      LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = batch, .data_out = batch,
                  .data_size_in = uint32_t(n * sizeof(Probe)),
                  .data_size_out = uint32_t(sizeof batch));
      if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0)
        return {};
      for (size_t k = 0; k < n; k++)
        out.push_back(batch[k].entry);
    }
    return out;
  }

  static inline std::string setup_error_;
  static inline fastfib_probe_bpf* skel_;
  static inline MultibitTable* fib4_;
  static inline MultibitTable* fib6_;
  static inline ReferenceLpm* ref4_;
  static inline ReferenceLpm* ref6_;
  static inline std::vector<Prefix>* prefixes_;
};

// Lookups on one core while the other flips next hops: each answer is the old or the new one.
TEST_F(FastFibBpf, ConcurrentChurnShowsOldOrNewNextHop) {
  std::mt19937_64 rng(16);
  std::vector<Prefix> flipping;
  while (flipping.size() < 2000) {
    const Prefix& p = (*prefixes_)[rng() % prefixes_->size()];
    if (p.family() == Family::v4 && p.len <= 24)
      flipping.push_back(p);
  }
  // Next hops 60000 and 60001 are used by no other route.
  for (const auto& p : flipping) {
    fib4_->set(p, FibResult{1, 60000, 0, 0});
    ref4_->set(p, FibResult{1, 60000, 0, 0});
  }

  std::vector<Address> addrs;
  for (const auto& p : flipping)
    addrs.push_back(random_inside(p, rng));
  std::vector<std::optional<FibResult>> expected;  // where a more specific route decides
  for (const auto& a : addrs)
    expected.push_back(ref4_->lookup(a));

  std::atomic<bool> stop = false;
  std::jthread churn([&] {
    for (int round = 0; !stop; round++)
      for (const auto& p : flipping)
        fib4_->set(p, FibResult{1, uint32_t(60000 + round % 2), 0, 0});
  });
  struct StopChurn {
    std::atomic<bool>& stop;
    ~StopChurn() { stop = true; }
  } stop_on_exit{stop};

  size_t checked = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    auto entries = bpf_lookup(Family::v4, addrs);
    ASSERT_EQ(entries.size(), addrs.size());
    for (size_t i = 0; i < addrs.size(); i++) {
      if (BPFR_FIB_FLAGS(entries[i]) & BPFR_FIB_F_TRIE)
        continue;  // an overflowed group from the churn test: the trie answers
      auto got = decode_entry(entries[i]);
      ASSERT_TRUE(got) << addrs[i];
      if (expected[i]->nexthop == 60000)
        ASSERT_TRUE(got->nexthop == 60000 || got->nexthop == 60001)
            << addrs[i] << " answered next hop " << got->nexthop;
      else
        ASSERT_EQ(got, expected[i]) << addrs[i];
      checked++;
    }
  }
  stop = true;
  churn.join();
  std::printf("fastfib: %zu lookups during churn, each the old or the new next hop\n", checked);

  for (const auto& p : flipping)  // table and reference agree again
    fib4_->set(p, FibResult{1, 60000, 0, 0});
}

}  // namespace
}  // namespace bpfr::dp
