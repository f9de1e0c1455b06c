// The lab library itself: namespaces, links, processes and the sink clean up and report truly.
#include "lab/lab.h"

#include <arpa/inet.h>
#include <endian.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bpfr::lab {
namespace {

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_privileges()) {
      GTEST_SKIP() << "needs root and nsenter";
    }
  }
};

bool netns_exists(const std::string& name) {
  return std::filesystem::exists("/run/netns/" + name);
}

TEST_F(LabTest, RunReportsExitCodeAndBothOutputs) {
  auto r = sh("echo out; echo err >&2; exit 3");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST_F(LabTest, RunKillsACommandPastItsTimeout) {
  auto start = Clock::now();
  auto r = run({"sleep", "30"}, nullptr, 200ms);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST_F(LabTest, CheckThrowsWithTheOutput) {
  try {
    check(sh("echo boom >&2; false"), "the thing");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("boom"), std::string::npos) << e.what();
  }
}

TEST_F(LabTest, NetnsIsRemovedOnDestruction) {
  std::string name;
  {
    Netns ns("labt");
    name = ns.name();
    EXPECT_TRUE(netns_exists(name));
    EXPECT_NE(name.find(std::to_string(getpid())), std::string::npos);
    // Only loopback inside.
    auto links = check(ns.run({"ip", "-o", "link"}), "ip link");
    EXPECT_NE(links.find("lo:"), std::string::npos);
    EXPECT_EQ(links.find("eth"), std::string::npos);
  }
  EXPECT_FALSE(netns_exists(name));
}

TEST_F(LabTest, NetnsIsRemovedWhenATestThrowsHalfWay) {
  std::string name;
  try {
    Netns ns("labt");
    name = ns.name();
    ns.ip("link set nosuchdevice up");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(name.empty());
  EXPECT_FALSE(netns_exists(name));
}

TEST_F(LabTest, SysctlIsSetInsideTheNamespaceOnly) {
  Netns ns("labt");
  ns.enable_forwarding();
  EXPECT_EQ(check(ns.run({"cat", "/proc/sys/net/ipv4/ip_forward"}), "cat"), "1\n");
  Netns other("labt");
  EXPECT_EQ(check(other.run({"cat", "/proc/sys/net/ipv4/ip_forward"}), "cat"), "0\n");
}

TEST_F(LabTest, VethCarriesPingsAndCountersSeeThem) {
  Netns a("labt"), b("labt");
  Veth link({a, "left", {"10.99.0.1/24", "fd99::1/64"}},
            {b, "right", {"10.99.0.2/24", "fd99::2/64"}, "02:00:00:00:00:02"});
  EXPECT_EQ(link.mac_b(), "02:00:00:00:00:02");
  EXPECT_GT(link.ifindex_a(), 0);

  uint64_t before = b.counter("Icmp.InEchos");
  EXPECT_TRUE(a.run({"ping", "-c", "3", "-i", "0.01", "-W", "2", "10.99.0.2"}).ok());
  EXPECT_TRUE(a.run({"ping", "-6", "-c", "2", "-i", "0.01", "-W", "2", "fd99::2"}).ok());
  EXPECT_EQ(b.counter("Icmp.InEchos"), before + 3);
  EXPECT_EQ(b.counter("Icmp6InEchos"), 2u);
  EXPECT_EQ(b.counter("No.SuchCounter"), 0u);
}

TEST_F(LabTest, ProcessRunsInTheNamespaceAndIsKilledWithItsChildren) {
  Netns ns("labt");
  pid_t child_pid;
  {
    Process p({"sh", "-c", "ip -o link; sleep 300 & echo child $!; wait"}, &ns);
    ASSERT_TRUE(wait_until([&] { return p.log().find("child ") != std::string::npos; }, 5s))
        << p.log();
    EXPECT_TRUE(p.running());
    EXPECT_NE(p.log().find("lo:"), std::string::npos);
    child_pid = std::stoi(p.log().substr(p.log().find("child ") + 6));
  }
  EXPECT_TRUE(wait_until([&] { return kill(child_pid, 0) != 0; }, 5s));
}

TEST_F(LabTest, ProcessStopReturnsItsExitStatus) {
  Process p({"sh", "-c", "exit 4"});
  ASSERT_TRUE(wait_until([&] { return !p.running(); }, 5s));
  int status = p.stop();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

TEST_F(LabTest, TempFileHoldsItsContentAndIsRemoved) {
  std::filesystem::path path;
  {
    TempFile f("hello\n", "bird.conf");
    path = f.path();
    EXPECT_EQ(path.filename(), "bird.conf");
    EXPECT_EQ(check(run({"cat", path}), "cat"), "hello\n");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path.parent_path()));
}

// Sends UDP probes with the given sequence numbers from ns to dst (IPv4).
void send_probes(const Netns& ns, const char* dst, uint32_t stream,
                 const std::vector<uint64_t>& seqs) {
  NetnsEnter enter(ns);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(BPFR_PROBE_UDP_DPORT);
  inet_pton(AF_INET, dst, &to.sin_addr);
  for (uint64_t seq : seqs) {
    bpfr_probe p{htonl(BPFR_PROBE_MAGIC), htonl(stream), htobe64(seq)};
    ASSERT_EQ(sendto(fd, &p, sizeof(p), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(sizeof(p)));
  }
  close(fd);
}

TEST_F(LabTest, SinkFindsLostDuplicatedAndReorderedProbes) {
  Netns a("labt"), b("labt");
  Veth link({a, "eth0", {"10.98.0.1/24"}}, {b, "eth0", {"10.98.0.2/24"}});
  Sink sink(b, "eth0", {.drop = true, .stream = 7});
  a.ip("neigh replace 10.98.0.2 lladdr " + link.mac_b() + " dev eth0");

  // 0..99 with 50 missing, 60 twice, 70 late (after 71), and one probe of another stream.
  std::vector<uint64_t> seqs;
  for (uint64_t s = 0; s < 100; s++) {
    if (s != 50 && s != 70) {
      seqs.push_back(s);
    }
    if (s == 60 || s == 71) {
      seqs.push_back(s == 60 ? 60 : 70);
    }
  }
  send_probes(a, "10.98.0.2", 7, seqs);
  send_probes(a, "10.98.0.2", 8, {0});

  ASSERT_TRUE(
      wait_until([&] { return sink.stats().probes + sink.stats().other_streams >= 100; }, 5s));
  auto report = sink.sequence(100);
  EXPECT_EQ(report.received, 100u) << report.str();
  EXPECT_EQ(report.unique, 99u) << report.str();
  EXPECT_EQ(report.lost, 1u) << report.str();  // 50
  EXPECT_EQ(report.duplicates, 1u) << report.str();
  EXPECT_EQ(report.reordered, 1u) << report.str();
  EXPECT_EQ(sink.stats().other_streams, 1u);

  // Dropping sink: the receiver's kernel never saw them.
  EXPECT_EQ(b.counter("Udp.InDatagrams") + b.counter("Udp.NoPorts"), 0u);

  sink.reset();
  EXPECT_EQ(sink.stats().probes, 0u);
  send_probes(a, "10.98.0.2", 7, {0, 1, 2});
  ASSERT_TRUE(wait_until([&] { return sink.stats().probes >= 3; }, 5s));
  EXPECT_EQ(sink.sequence(3).lost, 0u);
  EXPECT_EQ(sink.sequence(3).duplicates, 0u);
}

TEST_F(LabTest, PassingSinkLetsTrafficThroughAndCountsIt) {
  Netns a("labt"), b("labt");
  Veth link({a, "eth0", {"10.97.0.1/24"}}, {b, "eth0", {"10.97.0.2/24"}});
  Sink sink(b, "eth0");
  EXPECT_TRUE(a.run({"ping", "-c", "2", "-i", "0.01", "-W", "2", "10.97.0.2"}).ok());
  EXPECT_GE(sink.stats().packets, 2u);  // ARP and the echo requests
  EXPECT_EQ(sink.stats().probes, 0u);
}

}  // namespace
}  // namespace bpfr::lab
