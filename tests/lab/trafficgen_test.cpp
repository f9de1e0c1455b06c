// The traffic generator: frames it writes are well formed and aimed inside the given prefixes,
// and what it reports as sent arrives at a sink across a veth pair, in order, once each.
#include "trafficgen.h"

#include <arpa/inet.h>
#include <endian.h>
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <thread>

#include "lab/lab.h"

namespace bpfr::trafficgen {
namespace {

using namespace std::chrono_literals;

constexpr size_t kEth = 14;

uint16_t ones_complement_sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += uint32_t(p[i]) << 8 | p[i + 1];
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

Options base_options() {
  Options o;
  o.dev = "eth0";
  o.src_mac = parse_mac("02:00:00:00:00:01");
  o.dst_mac = parse_mac("02:00:00:00:00:02");
  o.src_v4 = *Address::parse("10.0.0.1");
  o.src_v6 = *Address::parse("fd00::1");
  o.destinations = {*Prefix::parse("198.51.100.0/24"), *Prefix::parse("2001:db8:40::/42")};
  return o;
}

class TrafficgenFrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges()) {
      GTEST_SKIP() << "needs root";
    }
  }
};

TEST_F(TrafficgenFrameTest, FramesAreValidUdpProbesToRandomHostsOfTheirPrefixes) {
  Options o = base_options();
  o.stream = 9;
  o.first_seq = 1000;
  Generator gen(o);

  std::set<std::string> v4_seen, v6_seen;
  for (uint64_t i = 0; i < 400; i++) {
    auto f = gen.sample_frame();
    ASSERT_GE(f.size(), 60u);
    EXPECT_EQ(0, std::memcmp(f.data(), o.dst_mac.data(), 6));
    EXPECT_EQ(0, std::memcmp(f.data() + 6, o.src_mac.data(), 6));
    uint16_t proto = uint16_t(f[12]) << 8 | f[13];
    size_t udp;
    Address dst;
    uint32_t pseudo = 0;
    if (proto == 0x0800) {
      EXPECT_EQ(f.size(), 60u) << "64 bytes on the wire";
      EXPECT_EQ(ones_complement_sum(f.data() + kEth, 20), 0xffff) << "IPv4 header checksum";
      EXPECT_EQ(f[kEth + 9], 17);
      dst = Address::from_bytes(Family::v4, std::span(f).subspan(kEth + 16, 4));
      EXPECT_EQ(0, std::memcmp(f.data() + kEth + 12, o.src_v4.bytes.data(), 4));
      pseudo = ones_complement_sum(f.data() + kEth + 12, 8);
      udp = kEth + 20;
      v4_seen.insert(dst.str());
    } else {
      ASSERT_EQ(proto, 0x86DD);
      EXPECT_EQ(f.size(), 78u) << "the shortest IPv6 probe";
      EXPECT_EQ(f[kEth] >> 4, 6);
      EXPECT_EQ(f[kEth + 6], 17);
      dst = Address::from_bytes(Family::v6, std::span(f).subspan(kEth + 24, 16));
      pseudo = ones_complement_sum(f.data() + kEth + 8, 32);
      udp = kEth + 40;
      v6_seen.insert(dst.str());
    }
    EXPECT_TRUE(o.destinations[0].contains(dst) || o.destinations[1].contains(dst)) << dst.str();

    // UDP: ports, length, checksum with the pseudo header (RFC 768), then the probe.
    EXPECT_EQ((f[udp] << 8 | f[udp + 1]), BPFR_PROBE_UDP_SPORT);
    EXPECT_EQ((f[udp + 2] << 8 | f[udp + 3]), BPFR_PROBE_UDP_DPORT);
    EXPECT_EQ((f[udp + 4] << 8 | f[udp + 5]), 24);
    EXPECT_EQ(ones_complement_sum(f.data() + udp, 24, pseudo + 17 + 24), 0xffff);
    bpfr_probe probe;
    std::memcpy(&probe, f.data() + udp + 8, sizeof(probe));
    EXPECT_EQ(ntohl(probe.magic), BPFR_PROBE_MAGIC);
    EXPECT_EQ(ntohl(probe.stream), 9u);
    EXPECT_EQ(be64toh(probe.seq), 1000 + i);
  }
  // Random host bits: many distinct destinations of both families.
  EXPECT_GT(v4_seen.size(), 50u);
  EXPECT_GT(v6_seen.size(), 100u);
}

TEST_F(TrafficgenFrameTest, RejectsARunWithoutBounds) {
  Options o = base_options();
  o.count = 0;
  o.duration = 0ms;
  EXPECT_THROW(Generator{o}, std::runtime_error);
  o = base_options();
  o.destinations.clear();
  EXPECT_THROW(Generator{o}, std::runtime_error);
}

TEST(TrafficgenParseTest, ReadsPrefixListsWithCommentsAndHostAddresses) {
  lab::TempFile f("# table\n10.0.0.0/8\n\n 2001:db8::/32  # doc\n192.0.2.1\n10.1.0.0/16\n");
  auto p = read_prefixes(f.path().string());
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[1].str(), "2001:db8::/32");
  EXPECT_EQ(p[2].str(), "192.0.2.1/32");
  EXPECT_EQ(read_prefixes(f.path().string(), 2).size(), 2u);
  lab::TempFile bad("10.0.0.0/33\n");
  EXPECT_THROW(read_prefixes(bad.path().string()), std::runtime_error);
  EXPECT_THROW(parse_mac("02:00:00:00:00"), std::invalid_argument);
}

// A generator namespace and a sink namespace joined by a veth pair.
class TrafficgenLinkTest : public TrafficgenFrameTest {
 protected:
  void SetUp() override {
    TrafficgenFrameTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    gen_ns = std::make_unique<lab::Netns>("tgen");
    sink_ns = std::make_unique<lab::Netns>("tgen");
    link = std::make_unique<lab::Veth>(lab::VethEnd{*gen_ns, "eth0"},
                                       lab::VethEnd{*sink_ns, "eth0", {}, "02:00:00:00:00:02"});
  }

  Options link_options() {
    Options o = base_options();
    o.netns_path = gen_ns->path();
    o.src_mac = {};
    return o;
  }

  std::unique_ptr<lab::Netns> gen_ns, sink_ns;
  std::unique_ptr<lab::Veth> link;
};

TEST_F(TrafficgenLinkTest, EveryFrameSentFlatOutArrivesOnceAndInOrder) {
  lab::Sink sink(*sink_ns, "eth0", {.drop = true, .stream = 3});
  Options o = link_options();
  o.count = 200000;
  o.duration = 20s;
  o.stream = 3;
  auto report = Generator(o).run();
  ASSERT_EQ(report.sent, 200000u);
  ASSERT_TRUE(lab::wait_until([&] { return sink.stats().probes >= 200000; }, 5s))
      << sink.sequence(report.sent).str();
  auto seq = sink.sequence(report.sent);
  EXPECT_EQ(seq.lost, 0u) << seq.str();
  EXPECT_EQ(seq.duplicates, 0u) << seq.str();
  EXPECT_EQ(seq.reordered, 0u) << seq.str();
  EXPECT_EQ(sink.stats().highest_seq_plus1, 200000u);
  RecordProperty("pps", static_cast<int>(report.pps()));
  std::printf("flat out: %.0f pps\n", report.pps());
}

TEST_F(TrafficgenLinkTest, RateLimitedRunKeepsItsScheduleAndStopsOnDuration) {
  lab::Sink sink(*sink_ns, "eth0", {.drop = true});
  Options o = link_options();
  o.rate_pps = 100000;
  o.count = 0;
  o.duration = 500ms;
  auto report = Generator(o).run();
  // Never ahead of the schedule; behind it only by what a loaded machine costs.
  EXPECT_LE(report.sent, 50000u + 100);
  EXPECT_GT(report.sent, 25000u);
  EXPECT_GE(report.seconds, 0.5);
  ASSERT_TRUE(lab::wait_until([&] { return sink.stats().probes >= report.sent; }, 5s));
  EXPECT_EQ(sink.sequence(report.sent).lost, 0u);
}

TEST_F(TrafficgenLinkTest, StopFromAnotherThreadEndsTheRun) {
  lab::Sink sink(*sink_ns, "eth0", {.drop = true});
  Options o = link_options();
  o.rate_pps = 10000;
  o.duration = 30s;
  Generator gen(o);
  Report report;
  std::thread t([&] { report = gen.run(); });
  ASSERT_TRUE(lab::wait_until([&] { return sink.stats().probes > 100; }, 5s));
  gen.stop();
  t.join();
  EXPECT_LT(report.seconds, 10);
  EXPECT_GT(report.sent, 100u);
}

// generator -> router (kernel forwarding) -> sink: the shape of every forwarding test, at the
// 100,000 packets per second the restart tests need, checked frame by frame at the receiver.
TEST_F(TrafficgenFrameTest, KernelForwardedStreamArrivesCompleteAt100kpps) {
  lab::Netns gen("tgfw"), router("tgfw"), sink_ns("tgfw");
  lab::Veth in({gen, "eth0", {"10.96.1.1/24", "fd96:1::1/64"}},
               {router, "in0", {"10.96.1.2/24", "fd96:1::2/64"}});
  lab::Veth out({router, "out0", {"10.96.2.1/24", "fd96:2::1/64"}},
                {sink_ns, "eth0", {"10.96.2.2/24", "fd96:2::2/64"}});
  router.enable_forwarding();
  router.ip("route add 198.51.100.0/24 via 10.96.2.2");
  router.ip("-6 route add 2001:db8:40::/42 via fd96:2::2");
  // Resolved up front, so the first frames do not wait in the neighbour queue.
  router.ip("neigh replace 10.96.2.2 lladdr " + out.mac_b() + " dev out0");
  router.ip("-6 neigh replace fd96:2::2 lladdr " + out.mac_b() + " dev out0");
  auto router_in = lab::attach_pass(router, "in0");  // lets in0 take XDP frames
  lab::Sink sink(sink_ns, "eth0", {.drop = true, .stream = 5});

  Options o = base_options();
  o.netns_path = gen.path();
  o.src_mac = {};
  o.dst_mac = parse_mac(in.mac_b());
  o.src_v4 = *Address::parse("10.96.1.1");
  o.src_v6 = *Address::parse("fd96:1::1");
  o.stream = 5;
  o.rate_pps = 100000;
  o.count = 100000;
  o.duration = 10s;
  uint64_t forwarded_before = router.counter("Ip.ForwDatagrams");
  auto report = Generator(o).run();
  ASSERT_EQ(report.sent, 100000u);
  ASSERT_TRUE(lab::wait_until([&] { return sink.stats().probes >= report.sent; }, 5s))
      << sink.sequence(report.sent).str();
  auto seq = sink.sequence(report.sent);
  EXPECT_EQ(seq.lost, 0u) << seq.str();
  EXPECT_EQ(seq.duplicates, 0u) << seq.str();
  EXPECT_GT(router.counter("Ip.ForwDatagrams") - forwarded_before, 30000u);
  EXPECT_GT(router.counter("Ip6OutForwDatagrams"), 30000u);
  std::printf("kernel-forwarded: %.0f pps sent, %s\n", report.pps(), seq.str().c_str());
}

// The command-line tools, end to end: send and receive in two namespaces, and the benchmark.
TEST_F(TrafficgenFrameTest, CommandLineSendAndReceiveAgree) {
  lab::Netns a("tgcli"), b("tgcli");
  lab::Veth link({a, "eth0"}, {b, "eth0", {}, "02:00:00:00:00:02"});
  const std::string tool = BPFR_BINARY_DIR "/tools/trafficgen/bpfr-trafficgen";
  lab::Process receiver({tool, "receive", "--netns", b.name(), "--dev", "eth0", "--drop",
                         "--stream", "4", "--expect", "5000", "--duration", "20", "--json"});
  // The sink is attached once the receiver's program is on the device.
  ASSERT_TRUE(lab::wait_until(
      [&] {
        return b.run({"ip", "link", "show", "eth0"}).out.find("xdp") != std::string::npos;
      },
      10s))
      << receiver.log();
  auto sent = lab::run({tool, "send", "--netns", a.name(), "--dev", "eth0", "--dst-mac",
                        "02:00:00:00:00:02", "--dst", "192.0.2.0/24", "--dst", "2001:db8::/64",
                        "--count", "5000", "--rate", "50000", "--stream", "4", "--json"},
                       nullptr, 30s);
  ASSERT_TRUE(sent.ok()) << sent.describe();
  EXPECT_NE(sent.out.find("\"sent\":5000"), std::string::npos) << sent.out;
  ASSERT_TRUE(lab::wait_until([&] { return !receiver.running(); }, 20s)) << receiver.log();
  EXPECT_NE(receiver.log().find("\"lost\":0"), std::string::npos) << receiver.log();
  EXPECT_NE(receiver.log().find("\"unique\":5000"), std::string::npos) << receiver.log();
}

TEST_F(TrafficgenFrameTest, BenchmarkMeasuresBothCases) {
  lab::TempFile list("198.51.100.0/24\n203.0.113.0/24\n2001:db8:1::/48\n");
  auto r = lab::run({BPFR_BINARY_DIR "/tools/trafficgen/bpfr-fwbench", "--prefixes",
                     list.path().string(), "--duration", "0.3", "--json"},
                    nullptr, 120s);
  ASSERT_TRUE(r.ok()) << r.describe();
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  for (const auto& c : j) {
    EXPECT_GT(c["received"].get<uint64_t>(), 1000u) << c.dump();
    EXPECT_LE(c["received"].get<uint64_t>(), c["sent"].get<uint64_t>()) << c.dump();
  }
}

}  // namespace
}  // namespace bpfr::trafficgen
