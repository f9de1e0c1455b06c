// The paths BPF_PROG_TEST_RUN alone cannot show, run on real devices in a namespace of our
// own: the devmap egress program counting transmitted frames, XDP metadata reaching
// tc_ingress which redirects into a TUN device, and tc_l3_ingress forwarding from a TUN
// device to Ethernet. Frames enter through BPF_F_TEST_XDP_LIVE_FRAMES or the TUN file.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "bpf/packet.h"
#include "bpf/router_fixture.h"
#include "router.skel.h"

namespace bpfr::test {
namespace {

using Clock = std::chrono::steady_clock;

void sh(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("command failed: " + cmd);
}

// A network namespace named for this part and process, entered by the calling thread for the
// object's lifetime and deleted afterwards, also when the test fails.
class TestNetns {
 public:
  TestNetns() : name_("bpfr-dataplane-" + std::to_string(getpid())) {
    sh("ip netns add " + name_);
    orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (orig_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      if (fd >= 0)
        close(fd);
      cleanup();
      throw std::runtime_error("cannot enter namespace " + name_);
    }
    close(fd);
  }
  ~TestNetns() { cleanup(); }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

 private:
  void cleanup() {
    if (orig_ >= 0) {
      setns(orig_, CLONE_NEWNET);
      close(orig_);
      orig_ = -1;
    }
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  }

  std::string name_;
  int orig_ = -1;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0)
      throw std::runtime_error(std::string("open: ") + std::strerror(errno));
  }
  ~Fd() { close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

uint32_t ifindex(const char* name) {
  uint32_t i = if_nametoindex(name);
  if (!i)
    throw std::runtime_error(std::string("no device ") + name);
  return i;
}

int open_tun(const char* name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fd;
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int open_packet_socket(uint32_t ifindex) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0)
    return fd;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads from fd until a packet satisfies `want` or the deadline passes.
std::optional<Bytes> read_until(int fd, const std::function<bool(const Bytes&)>& want,
                                std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  auto deadline = Clock::now() + timeout;
  Bytes buf(2048);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 50);
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n <= 0)
      continue;
    Bytes got(buf.begin(), buf.begin() + n);
    if (want(got))
      return got;
  }
  return std::nullopt;
}

void attach_tc_ingress(uint32_t ifindex, int prog_fd) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = BPF_TC_INGRESS);
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST)
    throw std::runtime_error("bpf_tc_hook_create failed");
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
  if (bpf_tc_attach(&hook, &opts))
    throw std::runtime_error("bpf_tc_attach failed");
}

void attach_xdp(uint32_t ifindex, int prog_fd) {
  if (bpf_xdp_attach(static_cast<int>(ifindex), prog_fd, XDP_FLAGS_DRV_MODE, nullptr))
    throw std::runtime_error("bpf_xdp_attach failed");
}

const Mac kGwMac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const Mac kOurMac{0x02, 0x66, 0x77, 0x88, 0x99, 0x00};

bpfr_nexthop nexthop(uint32_t ifindex, uint8_t kind) {
  bpfr_nexthop nh{};
  nh.ifindex = ifindex;
  nh.mtu = 1400;
  nh.kind = kind;
  nh.flags = BPFR_NH_F_VALID | (kind == BPFR_NH_ETHERNET ? BPFR_NH_F_MAC : 0);
  std::copy(kGwMac.begin(), kGwMac.end(), nh.dmac);
  std::copy(kOurMac.begin(), kOurMac.end(), nh.smac);
  return nh;
}

// a0 (arrival) <-> a1, b0 (egress) <-> b1 (far end, which needs an XDP program to accept
// redirected frames), and a TUN device standing in for WireGuard.
class LiveDataplane : public testing::Test {
 protected:
  void SetUp() override {
    sh("ip link add a0 type veth peer name a1");
    sh("ip link add b0 type veth peer name b1");
    tun_fd_ = open_tun("bpfrtun0");
    ASSERT_GE(tun_fd_, 0) << "cannot create TUN device";
    for (const char* dev : {"a0", "a1", "b0", "b1", "bpfrtun0"})
      sh(std::string("ip link set ") + dev + " up");
    a0_ = ifindex("a0");
    b0_ = ifindex("b0");
    b1_ = ifindex("b1");
    tun_ = ifindex("bpfrtun0");

    bpfr_settings s{};
    s.enabled = 1;
    r_.set_settings(s);
    r_.set_iface(a0_, bpfr_iface{1, BPFR_ROLE_UPSTREAM, BPFR_URPF_OFF, 0, 0});
    r_.set_iface(b0_, bpfr_iface{2, BPFR_ROLE_INTERNAL, BPFR_URPF_OFF, 0, 0});
    r_.set_iface(tun_, bpfr_iface{3, BPFR_ROLE_INTERNAL, BPFR_URPF_OFF, 0, 0});
    r_.set_nexthop(1, nexthop(b0_, BPFR_NH_ETHERNET));
    r_.set_nexthop(2, nexthop(tun_, BPFR_NH_L3));
    r_.set_tx_port(b0_);
    attach_xdp(b1_, bpf_program__fd(r_.skel()->progs.xdp_router));
  }

  void TearDown() override {
    if (tun_fd_ >= 0)
      close(tun_fd_);
  }

  TestNetns ns_;
  RouterProgs r_;
  int tun_fd_ = -1;
  uint32_t a0_ = 0, b0_ = 0, b1_ = 0, tun_ = 0;
};

constexpr int kFrames = 64;

TEST_F(LiveDataplane, DevmapEgressCountsFramesHandedToTheDevice) {
  r_.set_route("198.51.100.0/24", bpfr_route_value{1, 5, BPFR_ROUTE_FORWARD, 0, 0});
  Bytes in = frame(L2{}, Ipv4{"192.0.2.1", "198.51.100.7", 64});

  ASSERT_EQ(r_.run_xdp_live(in, a0_, kFrames), 0);

  EXPECT_EQ(r_.reason(BPFR_FORWARD_XDP).packets, uint64_t(kFrames));
  EXPECT_EQ(r_.iface(2).tx_packets, uint64_t(kFrames)) << "devmap egress program on b0";
  EXPECT_EQ(r_.iface(2).tx_bytes, uint64_t(kFrames) * in.size());
  // The far end saw them: b1 runs xdp_router without an ifaces entry.
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (r_.reason(BPFR_PASS_NO_IFACE).packets < uint64_t(kFrames) && Clock::now() < deadline)
    usleep(10000);
  EXPECT_GE(r_.reason(BPFR_PASS_NO_IFACE).packets, uint64_t(kFrames));
}

// A veth whose peer has no XDP program refuses redirected frames before the devmap program
// runs: the decision is counted as a forward, the device's transmit is not.
TEST_F(LiveDataplane, DevmapEgressDoesNotCountFramesTheDeviceRefuses) {
  ASSERT_EQ(bpf_xdp_detach(static_cast<int>(b1_), XDP_FLAGS_DRV_MODE, nullptr), 0);
  r_.set_route("198.51.100.0/24", bpfr_route_value{1, 5, BPFR_ROUTE_FORWARD, 0, 0});
  Bytes in = frame(L2{}, Ipv4{"192.0.2.1", "198.51.100.7", 64});

  ASSERT_EQ(r_.run_xdp_live(in, a0_, kFrames), 0);

  EXPECT_EQ(r_.reason(BPFR_FORWARD_XDP).packets, uint64_t(kFrames));
  EXPECT_EQ(r_.iface(2).tx_packets, 0u);
}

TEST_F(LiveDataplane, XdpHandsL3NextHopToTcIngressWhichRedirectsIntoTun) {
  attach_tc_ingress(a0_, bpf_program__fd(r_.skel()->progs.tc_ingress));
  r_.set_route("2001:db8:2::/48", bpfr_route_value{2, 6, BPFR_ROUTE_FORWARD, 0, 0});
  Ipv6 ip{"2001:db8:9::1", "2001:db8:2::1", 64};
  Bytes in = frame(L2{}, ip);

  ASSERT_EQ(r_.run_xdp_live(in, a0_, 1), 0);

  ip.hop_limit = 63;
  Bytes want = ipv6_packet(ip);
  auto got = read_until(tun_fd_, [&](const Bytes& b) { return b == want; });
  EXPECT_TRUE(got.has_value()) << "the packet did not come out of the TUN device";
  EXPECT_EQ(r_.reason(BPFR_FORWARD_TC).packets, 1u);
  EXPECT_EQ(r_.slot(6).packets, 1u);
  EXPECT_EQ(r_.iface(3).tx_packets, 1u) << "tc_ingress counts the TUN device's transmit";
}

TEST_F(LiveDataplane, TcL3IngressForwardsFromTunToEthernetWithNextHopMacs) {
  attach_tc_ingress(tun_, bpf_program__fd(r_.skel()->progs.tc_l3_ingress));
  r_.set_route("2001:db8:2::/48", bpfr_route_value{1, 7, BPFR_ROUTE_FORWARD, 0, 0});
  r_.set_route("198.51.100.0/24", bpfr_route_value{1, 8, BPFR_ROUTE_FORWARD, 0, 0});
  Fd capture(open_packet_socket(b1_));
  Ipv6 ip6{"2001:db8:1234:1::2", "2001:db8:2::1", 64};
  Ipv4 ip4{"203.0.113.2", "198.51.100.7", 64};

  Bytes p6 = ipv6_packet(ip6), p4 = ipv4_packet(ip4);
  ASSERT_EQ(write(tun_fd_, p6.data(), p6.size()), ssize_t(p6.size()));
  ASSERT_EQ(write(tun_fd_, p4.data(), p4.size()), ssize_t(p4.size()));

  L2 out;
  out.dst = kGwMac;
  out.src = kOurMac;
  ip6.hop_limit = 63;
  ip4.ttl = 63;
  Bytes want6 = frame(out, ip6), want4 = frame(out, ip4);
  EXPECT_TRUE(read_until(capture.get(), [&](const Bytes& b) { return b == want6; }))
      << "IPv6 frame with the next hop's MACs and hop limit 63 did not reach b1";
  EXPECT_TRUE(read_until(capture.get(), [&](const Bytes& b) { return b == want4; }))
      << "IPv4 frame with the next hop's MACs and TTL 63 did not reach b1";
  EXPECT_EQ(r_.reason(BPFR_FORWARD_TC).packets, 2u);
  EXPECT_EQ(r_.iface(3).rx_packets, 2u);
  EXPECT_EQ(r_.iface(2).tx_packets, 2u);
}

}  // namespace
}  // namespace bpfr::test
