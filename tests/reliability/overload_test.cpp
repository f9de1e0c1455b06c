// Overload: a peer that sends UPDATEs faster than bpfrouterd can take them is held back by TCP
// (the daemon reads a session only as fast as it processes it, and stops reading while the
// kernel is behind on exported routes), so memory stays bounded; and four peers sending full
// tables at once stay under 2 GiB of RSS.
//
// The four-peer test sends BPFR_TABLE_PREFIXES prefixes per peer (default 50,000); 0 sends the
// whole ISP table (about 1.06 million prefixes, both families):
//   BPFR_TABLE_PREFIXES=0 ctest -R FourPeersWithFullTables --timeout 1800
// Known gap: at full size it fails today, peak RSS 3.9 GiB (docs/daemon.md, Overload).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "reliability/bgp_blaster.h"
#include "reliability/reliability_lab.h"

namespace bpfr::reliability {
namespace {

constexpr uint32_t peer_as_base = 64601;
constexpr size_t default_table_prefixes = 50'000;
constexpr uint64_t two_gib = 2ull << 30;

// Under AddressSanitizer (tools/test-sanitize.sh) the daemon's memory is mostly the sanitizer's
// shadow and quarantine, so the memory bounds are checked only in a plain build.
#ifdef __SANITIZE_ADDRESS__
constexpr bool memory_measurable = false;
#else
constexpr bool memory_measurable = true;
#endif

struct Memory {
  uint64_t rss = 0;   // bytes
  uint64_t hwm = 0;   // peak RSS
  uint64_t anon = 0;  // RSS without file and shared mappings (the mmapped BPF tables): the heap
};

Memory memory_of(pid_t pid) {
  Memory m;
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string key;
  uint64_t kib;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kib)
      m.rss = kib << 10;
    else if (key == "VmHWM:" && in >> kib)
      m.hwm = kib << 10;
    else if (key == "RssAnon:" && in >> kib)
      m.anon = kib << 10;
  }
  return m;
}

// The router gets a fourth device r2 into a namespace where the speakers live, 10.3.0.2 and up.
class Overload : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<ReliabilityLab>();
    peers_ = std::make_unique<lab::Netns>("relpeer");
    link_ = std::make_unique<lab::Veth>(
        lab::VethEnd{lab_->rtr(), "r2", {"10.3.0.1/24", "fd00:3::1/64"}},
        lab::VethEnd{*peers_, "p0", {"10.3.0.2/24", "fd00:3::2/64"}});
    for (int i = 1; i < 4; ++i)
      peers_->ip(fmt::format("addr add 10.3.0.{}/24 dev p0", 2 + i));
    // Small TCP buffers on both sides, so that a few MiB of UPDATEs cannot hide in the kernel.
    lab_->rtr().sysctl("net.ipv4.tcp_rmem", "4096 65536 131072");
    peers_->sysctl("net.ipv4.tcp_wmem", "4096 65536 131072");
  }

  static Address peer_address(int i) { return Address::v4((10u << 24) | (3u << 16) | (2u + i)); }

  std::string bgp_protocols(int peers, bool kernel_export) const {
    std::string out;
    for (int i = 0; i < peers; ++i)
      out += fmt::format(
          "protocol bgp peer{} {{\n  local 10.3.0.1 as 65535;\n  neighbor {} as {};\n"
          "  passive on;\n  ipv4 {{ import all; export none; }};\n"
          "  ipv6 {{ import all; export none; }};\n}}\n",
          i, peer_address(i), peer_as_base + i);
    if (kernel_export)
      out += "protocol kernel kexport { ipv4 { export all; }; }\n";
    return out;
  }

  std::unique_ptr<BgpBlaster> connect_peer(int i) {
    BlasterOptions o;
    o.netns_path = peers_->path();
    o.local = peer_address(i);
    o.remote = *Address::parse("10.3.0.1");
    o.local_as = peer_as_base + uint32_t(i);
    o.router_id = (10u << 24) | (3u << 16) | (2u + uint32_t(i));
    auto b = std::make_unique<BgpBlaster>(o);
    b->establish(30s);
    return b;
  }

  // Routes the daemon holds from one session, both families.
  uint64_t imported(int i) const {
    auto r = lab_->client({"show", "route", "protocol", fmt::format("peer{}", i), "count"});
    static const std::regex routes(R"((\d+) of \d+ routes for \d+ networks in table)");
    uint64_t sum = 0;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), routes), end; it != end; ++it)
      sum += std::stoull((*it)[1]);
    return sum;
  }

  std::unique_ptr<ReliabilityLab> lab_;
  std::unique_ptr<lab::Netns> peers_;
  std::unique_ptr<lab::Veth> link_;
};

// Samples a process's anonymous RSS until stopped; the largest seen.
class RssWatch {
 public:
  explicit RssWatch(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            peak_ = std::max<uint64_t>(peak_, memory_of(pid).anon);
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~RssWatch() { finish(); }
  uint64_t finish() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
    return peak_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> peak_{0};
  std::thread thread_;
};

TEST_F(Overload, FastSenderIsHeldBackAndMemoryStaysBounded) {
  constexpr size_t table = 40'000;
  constexpr int rounds = 2;  // per half: withdraw and announce the table this often
  std::vector<Prefix> v4;
  for (auto& p : isp_table_prefixes(table * 2))
    if (p.addr.is_v4() && v4.size() < table)
      v4.push_back(p);
  auto nh6 = *Address::parse("fd00:3::2");
  auto announce = table_updates(v4, peer_as_base, peer_address(0), nh6, 1);
  auto withdraw = table_withdrawals(v4);
  BgpMessages first(announce.begin(), announce.end());
  BgpMessages churn;
  for (int r = 0; r < rounds; ++r) {
    churn.insert(churn.end(), withdraw.begin(), withdraw.end());
    churn.insert(churn.end(), announce.begin(), announce.end());
  }

  lab_->write_config({.protocols = bgp_protocols(1, true)});
  lab_->start_daemon();
  auto peer = connect_peer(0);
  ASSERT_EQ(v4.size(), table);
  auto sent_first = peer->send(first, 120s);
  ASSERT_EQ(sent_first.messages, first.size());
  ASSERT_GT(sent_first.bytes, table * 4) << first.size() << " messages";
  ASSERT_TRUE(lab::wait_until([&] { return imported(0) == table; }, 60s, 200ms))
      << imported(0) << " imported\n"
      << lab_->daemon_log();
  uint64_t settled = memory_of(lab_->daemon_pid()).anon;

  // The same churn twice: if anything queued in the daemon, the second half would need more.
  uint64_t peaks[2];
  BlastReport halves[2];
  for (int half = 0; half < 2; ++half) {
    RssWatch watch(lab_->daemon_pid());
    halves[half] = peer->send(churn, 240s);
    ASSERT_TRUE(lab::wait_until([&] { return imported(0) == table; }, 60s, 200ms))
        << imported(0) << " imported\n"
        << lab_->daemon_log();
    peaks[half] = watch.finish();
  }

  uint64_t changes = uint64_t(rounds) * 2 * table;
  for (int half = 0; half < 2; ++half)
    std::printf("fast sender, half %d: %llu route changes (%llu messages, %.1f MiB) in %.2f s, "
                "socket full %llu times; daemon heap (RssAnon) %.1f MiB before, peak %.1f MiB\n",
                half + 1, (unsigned long long)changes, (unsigned long long)halves[half].messages,
                halves[half].bytes / 1048576.0, halves[half].seconds,
                (unsigned long long)halves[half].full_waits, settled / 1048576.0,
                peaks[half] / 1048576.0);
  ::testing::Test::RecordProperty("full_waits", std::to_string(halves[1].full_waits));
  ::testing::Test::RecordProperty("peak_heap_mib", std::to_string(peaks[1] >> 20));

  // The daemon took the stream no faster than it could process it...
  EXPECT_GT(halves[0].full_waits + halves[1].full_waits, 0u);
  // ...so nothing piled up in it: more churn needs no more memory.
  if (memory_measurable) {
    EXPECT_LT(peaks[0], settled + (96ull << 20));
    EXPECT_LT(peaks[1], peaks[0] + (16ull << 20));
  }
}

TEST_F(Overload, FourPeersWithFullTablesStayUnderTwoGiB) {
  size_t limit = default_table_prefixes;
  if (const char* env = std::getenv("BPFR_TABLE_PREFIXES"))
    limit = std::strtoull(env, nullptr, 10);
  auto prefixes = isp_table_prefixes(limit);
  constexpr int peers = 4;
  auto nh6 = *Address::parse("fd00:3::2");
  std::vector<BgpMessages> tables;
  for (int i = 0; i < peers; ++i)
    tables.push_back(table_updates(prefixes, peer_as_base + i, peer_address(i), nh6, i));

  lab_->write_config({.protocols = bgp_protocols(peers, false)});
  lab_->start_daemon();
  std::vector<std::unique_ptr<BgpBlaster>> speakers;
  for (int i = 0; i < peers; ++i)
    speakers.push_back(connect_peer(i));

  auto start = lab::Clock::now();
  std::vector<std::thread> senders;
  std::vector<std::string> errors(peers);
  for (int i = 0; i < peers; ++i)
    senders.emplace_back([&, i] {
      try {
        speakers[i]->send(tables[i], 1500s);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : senders)
    t.join();
  for (const auto& e : errors)
    ASSERT_EQ(e, "") << lab_->daemon_log();
  bool all = lab::wait_until(
      [&] {
        for (int i = 0; i < peers; ++i)
          if (imported(i) != prefixes.size())
            return false;
        return true;
      },
      600s, 500ms);
  double seconds = std::chrono::duration<double>(lab::Clock::now() - start).count();
  ASSERT_TRUE(all) << imported(0) << " of " << prefixes.size() << " imported\n"
                   << lab_->daemon_log();

  auto mem = memory_of(lab_->daemon_pid());
  std::printf("four peers: %zu prefixes each, %zu paths in %.1f s; daemon RSS %.1f MiB (heap "
              "%.1f MiB), peak %.1f MiB\n",
              prefixes.size(), prefixes.size() * peers, seconds, mem.rss / 1048576.0,
              mem.anon / 1048576.0, mem.hwm / 1048576.0);
  ::testing::Test::RecordProperty("prefixes_per_peer", std::to_string(prefixes.size()));
  ::testing::Test::RecordProperty("peak_rss_mib", std::to_string(mem.hwm >> 20));
  if (memory_measurable) {
    EXPECT_LT(mem.hwm, two_gib);
  }
}

}  // namespace
}  // namespace bpfr::reliability
