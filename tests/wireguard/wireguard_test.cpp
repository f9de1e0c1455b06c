// The guide's WireGuard setup through the fast path: a client namespace runs wireguard-go with
// the guide's client configuration, the router namespace wireguard-go with the guide's server
// configuration and bpfrouterd with static routes, and a host sits behind the router's
// upstream veth. Ping and a bounded UDP exchange go from the client to the host and back;
// both directions must be forwarded by our programs (tc out of wg, XDP then tc into wg), not
// by the kernel.
//
//   client  c0 ---- a0  router  r1 ---- h0  host
//   wgc<pid> 10.3.0.2   10.3.0.1 wgr<pid>   fd00:2::1  fd00:2::2   2001:db8:beef::1 (lo)
//   2001:db8:1234:a:1::/64      2001:db8:1234:a::/64
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "integration/router_lab.h"

namespace bpfr::wireguard {
namespace {

using namespace std::chrono_literals;
using integration::PinnedMaps;

constexpr const char* host_addr = "2001:db8:beef::1";
constexpr const char* host_route = "2001:db8:beef::/64";
constexpr const char* client_addr = "2001:db8:1234:a:1::";
constexpr const char* client_route = "2001:db8:1234:a:1::/80";  // the guide's AllowedIPs
constexpr const char* own_route = "2001:db8:1234::/48";         // the guide's dummy0 prefix
constexpr const char* unowned_dst = "2001:db8:1234:ff::1";      // inside it, owned by no one
constexpr int pings = 5;
constexpr int datagrams = 300;  // the UDP exchange, one at a time, so bounded by itself
constexpr uint16_t wg_port = 7777;
constexpr uint16_t udp_port = 9000;

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

std::filesystem::path daemon_binary() {
  return std::filesystem::path(BPFR_BINARY_DIR) / "userspace/daemon/bpfrouterd";
}

// A UDP socket bound in a namespace; it stays there after the thread switches back.
int udp_socket(const lab::Netns& ns, const char* addr, uint16_t port) {
  lab::NetnsEnter in(ns);
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  inet_pton(AF_INET6, addr, &sa.sin6_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    throw std::runtime_error(fmt::format("bind [{}]:{} failed", addr, port));
  }
  return fd;
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

class WireGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    if (!lab::run({"which", "wireguard-go"}).ok())
      GTEST_SKIP() << "needs wireguard-go";

    // Two wireguard-go share /var/run/wireguard: names unique to this process.
    wg_router_ = fmt::format("wgr{}", getpid() % 100000);
    wg_client_ = fmt::format("wgc{}", getpid() % 100000);
    pin_root_ = fmt::format("/sys/fs/bpf/bpfr-wireguard-{}", lab::unique_name("w"));
    dir_ = std::make_unique<lab::TempDir>("bpfr-wireguard");

    client_ = std::make_unique<lab::Netns>("wgcli");
    router_ = std::make_unique<lab::Netns>("wgrtr");
    host_ = std::make_unique<lab::Netns>("wghost");
    access_ = std::make_unique<lab::Veth>(lab::VethEnd{*client_, "c0", {"10.3.0.2/24"}},
                                          lab::VethEnd{*router_, "a0", {"10.3.0.1/24"}});
    upstream_ = std::make_unique<lab::Veth>(lab::VethEnd{*router_, "r1", {"fd00:2::1/64"}},
                                            lab::VethEnd{*host_, "h0", {"fd00:2::2/64"}});
    // The stand-in for the guide's dummy0: both ends in the router, declared `kind dummy`.
    dummy_ = std::make_unique<lab::Veth>(lab::VethEnd{*router_, "dum0", {}},
                                         lab::VethEnd{*router_, "dum0p", {}});
    host_->ip(fmt::format("addr add {}/128 dev lo", host_addr));
    host_->ip("-6 route add default via fd00:2::1");
    router_->enable_forwarding();
    router_->ip(fmt::format("-6 route add {} via fd00:2::2", host_route));

    start_wireguard();
    write_config();
    start_daemon();
  }

  void TearDown() override {
    if (daemon_)
      daemon_->stop();
    wg_client_proc_.reset();
    wg_router_proc_.reset();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
  }

  // The guide's wg0.conf and client configuration with fresh keys; the endpoint is the
  // router's access address in the lab.
  void start_wireguard() {
    auto key = [](const std::string& priv) {
      return lab::check(lab::sh("printf '%s\\n' '" + priv + "' | wg pubkey"), "wg pubkey");
    };
    std::string router_key = lab::check(lab::run({"wg", "genkey"}), "wg genkey");
    std::string client_key = lab::check(lab::run({"wg", "genkey"}), "wg genkey");
    router_key.erase(router_key.find_last_not_of('\n') + 1);
    client_key.erase(client_key.find_last_not_of('\n') + 1);
    std::string router_pub = key(router_key), client_pub = key(client_key);
    router_pub.erase(router_pub.find_last_not_of('\n') + 1);
    client_pub.erase(client_pub.find_last_not_of('\n') + 1);

    std::string server = fmt::format(
        "[Interface]\nPrivateKey = {}\nAddress = 2001:DB8:1234:a::/64\nListenPort = {}\n\n"
        "[Peer]\nPublicKey = {}\nAllowedIPs = 2001:DB8:1234:a:1::/80\n",
        router_key, wg_port, client_pub);
    std::string client = fmt::format(
        "[Interface]\nPrivateKey = {}\nAddress = 2001:DB8:1234:a:1::/64\n\n"
        "[Peer]\nPublicKey = {}\nAllowedIPs = ::/0\nEndpoint = 10.3.0.1:{}\n",
        client_key, router_pub, wg_port);

    wg_router_proc_ = start_wg(*router_, wg_router_, server, "2001:DB8:1234:a::/64");
    router_->ip(fmt::format("-6 route add {} dev {}", client_route, wg_router_));
    wg_client_proc_ = start_wg(*client_, wg_client_, client, "2001:DB8:1234:a:1::/64");
    client_->ip(fmt::format("-6 route add ::/0 dev {}", wg_client_));
  }

  // What wg-quick does: wireguard-go, the stripped configuration, the address, MTU 1420, up.
  std::unique_ptr<lab::Process> start_wg(const lab::Netns& ns, const std::string& dev,
                                         const std::string& conf, const std::string& address) {
    auto p = std::make_unique<lab::Process>(std::vector<std::string>{"wireguard-go", "-f", dev},
                                            &ns, *dir_ / (dev + ".log"));
    if (!lab::wait_until([&] { return ns.run({"wg", "show", dev}).ok(); }, 10s, 50ms))
      throw std::runtime_error("wireguard-go did not start:\n" + p->log());
    auto path = *dir_ / (dev + ".conf");
    std::ofstream(path) << conf;
    auto stripped = *dir_ / (dev + ".stripped");
    lab::check(ns.sh(fmt::format("wg-quick strip {} > {} && wg setconf {} {}", path.string(),
                                 stripped.string(), dev, stripped.string())),
               "wg setconf");
    ns.ip(fmt::format("addr add {} dev {} nodad", address, dev));
    ns.ip(fmt::format("link set {} mtu 1420 up", dev));
    return p;
  }

  void write_config() {
    std::ofstream(*dir_ / "bird.conf")
        << "log stderr all;\n"
        << "router id 10.3.0.1;\n"
        << "protocol device { }\n"
        << "protocol static static6 {\n  ipv6;\n"
        << fmt::format("  route {} via fd00:2::2;\n", host_route)
        << fmt::format("  route {} via \"{}\";\n", client_route, wg_router_)
        << fmt::format("  route {} via \"dum0\";\n}}\n", own_route)
        << fmt::format(
               "bpfrouter {{\n  pin root \"{}\";\n  leave running off;\n"
               "  interface \"dum0\" {{ kind dummy; }};\n}}\n",
               pin_root_.string());
  }

  void start_daemon() {
    daemon_ = std::make_unique<lab::Process>(
        std::vector<std::string>{daemon_binary().string(), "-f", "-c",
                                 (*dir_ / "bird.conf").string(), "-s",
                                 (*dir_ / "bpfrouter.ctl").string()},
        router_.get(), *dir_ / "bpfrouterd.log");
    auto links = pin_root_ / "links";
    bool attached = lab::wait_until(
        [&] {
          return std::filesystem::exists(links / "xdp_r1") &&
                 (std::filesystem::exists(links / ("tcx_" + wg_router_)) ||
                  std::filesystem::exists(links / ("clsact_" + wg_router_)));
        },
        10s);
    if (!attached)
      throw std::runtime_error("bpfrouterd did not attach to r1 and the WireGuard device:\n" +
                               daemon_->log() + "\nlinks: " + lab::sh("ls " + links.string()).out);
    // The host's MAC, the WireGuard and the dummy next hops: three valid ones.
    auto hops = [&](uint8_t kind) {
      int fd = bpf_obj_get((pin_root_ / "nexthops_v1").c_str());
      unsigned n = 0;
      for (uint32_t id = 1; fd >= 0 && id < 64; id++) {
        bpfr_nexthop nh{};
        if (bpf_map_lookup_elem(fd, &id, &nh) == 0 && (nh.flags & BPFR_NH_F_VALID) &&
            nh.kind == kind && (kind != BPFR_NH_ETHERNET || (nh.flags & BPFR_NH_F_MAC)))
          n++;
      }
      if (fd >= 0)
        close(fd);
      return n;
    };
    if (!lab::wait_until(
            [&] {
              return hops(BPFR_NH_ETHERNET) >= 1 && hops(BPFR_NH_L3) >= 1 &&
                     hops(BPFR_NH_DUMMY) >= 1;
            },
            10s))
      throw std::runtime_error(fmt::format(
          "bpfrouterd did not resolve its next hops (ethernet {}, l3 {}, dummy {}):\n{}",
          hops(BPFR_NH_ETHERNET), hops(BPFR_NH_L3), hops(BPFR_NH_DUMMY), daemon_->log()));
  }

  PinnedMaps maps() const { return PinnedMaps(pin_root_); }

  uint64_t kernel_forwarded() const {
    return router_->counter("Ip6OutForwDatagrams") + router_->counter("Ip6InForwDatagrams") +
           router_->counter("Ip.ForwDatagrams");
  }

  // `datagrams` UDP datagrams from the client to the host, each echoed by the host; returns how
  // many came back.
  int udp_exchange() {
    int c = udp_socket(*client_, client_addr, udp_port);
    int h = udp_socket(*host_, host_addr, udp_port);
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(udp_port);
    inet_pton(AF_INET6, host_addr, &to.sin6_addr);
    int back = 0;
    char buf[512] = {};
    for (int i = 0; i < datagrams; i++) {
      snprintf(buf, sizeof buf, "probe %d", i);
      sendto(c, buf, 256, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      if (!readable(h, 1000))
        continue;
      sockaddr_in6 from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(h, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0)
        continue;
      sendto(h, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      if (readable(c, 1000) && recv(c, buf, sizeof buf, 0) == n)
        back++;
    }
    close(c);
    close(h);
    return back;
  }

  std::string wg_router_, wg_client_;
  std::filesystem::path pin_root_;
  std::unique_ptr<lab::TempDir> dir_;
  std::unique_ptr<lab::Netns> client_, router_, host_;
  std::unique_ptr<lab::Veth> access_, upstream_, dummy_;
  std::unique_ptr<lab::Process> wg_router_proc_, wg_client_proc_, daemon_;
};

TEST_F(WireGuard, ClientTrafficTakesTheFastPathBothWays) {
  // The first handshake and the neighbour entries settle before counting.
  auto warm = client_->run({"ping", "-6", "-c", "1", "-W", "5", "-I", client_addr, host_addr}, 20s);
  ASSERT_TRUE(warm.ok()) << warm.describe() << daemon_->log();

  auto m = maps();
  uint64_t kernel_before = kernel_forwarded();
  auto host_before = m.route_counter(P(host_route)).packets;
  auto client_before = m.route_counter(P(client_route)).packets;
  auto tc_before = m.reason_counter(BPFR_FORWARD_TC).packets;
  auto wg_tx_before = m.iface_counter(uint32_t(router_->ifindex(wg_router_))).tx_packets;
  auto r1_tx_before = m.iface_counter(uint32_t(router_->ifindex("r1"))).tx_packets;

  auto ping = client_->run({"ping", "-6", "-c", std::to_string(pings), "-i", "0.05", "-W", "2",
                            "-I", client_addr, host_addr},
                           20s);
  EXPECT_TRUE(ping.ok()) << ping.describe() << daemon_->log();
  int back = udp_exchange();
  EXPECT_EQ(back, datagrams);

  // Out of WireGuard (tc_l3_ingress) and back into it (xdp_router, then tc_ingress), each
  // packet once per direction.
  uint64_t each_way = uint64_t(pings) + uint64_t(back);
  EXPECT_GE(m.route_counter(P(host_route)).packets - host_before, each_way);
  EXPECT_GE(m.route_counter(P(client_route)).packets - client_before, each_way);
  EXPECT_GE(m.reason_counter(BPFR_FORWARD_TC).packets - tc_before, 2 * each_way);
  EXPECT_GE(m.iface_counter(uint32_t(router_->ifindex(wg_router_))).tx_packets - wg_tx_before,
            each_way);
  EXPECT_GE(m.iface_counter(uint32_t(router_->ifindex("r1"))).tx_packets - r1_tx_before, each_way);
  EXPECT_EQ(kernel_forwarded(), kernel_before) << "the kernel forwarded some of it";
}

TEST_F(WireGuard, UnownedAddressInTheDummyPrefixIsDroppedInXdp) {
  auto m = maps();
  auto drops_before = m.reason_counter(BPFR_DROP_DUMMY).packets;
  auto slot_before = m.route_counter(P(own_route)).packets;
  host_->run({"ping", "-6", "-c", "3", "-i", "0.05", "-W", "1", unowned_dst}, 10s);
  EXPECT_GE(m.reason_counter(BPFR_DROP_DUMMY).packets - drops_before, 3u) << daemon_->log();
  EXPECT_GE(m.route_counter(P(own_route)).packets - slot_before, 3u);
}

// Our own /48 is originated (a route into the dummy), so a source inside it arriving from the
// upstream is spoofed and dropped in XDP before the kernel sees it.
TEST_F(WireGuard, SourceInsideOurOwnPrefixFromTheUpstreamIsDroppedAsSpoofed) {
  host_->ip("addr add 2001:db8:1234:a:1::99/128 dev lo");
  auto m = maps();
  auto before = m.reason_counter(BPFR_DROP_SPOOFED).packets;
  auto r1_drops = m.iface_counter(uint32_t(router_->ifindex("r1"))).drop_packets;
  host_->run({"ping", "-6", "-c", "3", "-i", "0.05", "-W", "1", "-I", "2001:db8:1234:a:1::99",
              client_addr},
             10s);
  EXPECT_GE(m.reason_counter(BPFR_DROP_SPOOFED).packets - before, 3u) << daemon_->log();
  EXPECT_GE(m.iface_counter(uint32_t(router_->ifindex("r1"))).drop_packets - r1_drops, 3u);
}

}  // namespace
}  // namespace bpfr::wireguard
