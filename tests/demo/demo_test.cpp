// The demo's facts, asserted: tools/lab/up.sh --daemon runs bpfrouterd in the router namespace
// with the guide's bird.conf, the transit announces a small slice of the real table, and the test
// checks what tools/demo.sh shows: the session Established with MD5 and multihop 2, the /48 at
// the transit, every route the transit sent in the RIB, the fast path and the router's kernel,
// the Internet hosts inside prefixes learned over BGP, XDP on the upstream and tc on wg0, the
// client reaching a host over WireGuard with both directions on the fast path, and that host's
// prefix counted by `bpfrouter stats` while traffic flows.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "lab/lab.h"

namespace bpfr::lab {
namespace {

constexpr size_t kRoutesPerFamily = 500;
constexpr int kPings = 20;

// The first number of a `show route ... count` reply ("500 of 500 routes for ..."); 0 if none.
uint64_t first_count(const std::string& reply) {
  std::istringstream in(reply);
  for (std::string line; std::getline(in, line);) {
    unsigned long long n = 0;
    if (line.find(" of ") != std::string::npos && std::sscanf(line.c_str(), "%llu of", &n) == 1) {
      return n;
    }
  }
  return 0;
}

uint64_t lines(const std::string& text) {
  return uint64_t(std::count(text.begin(), text.end(), '\n'));
}

// Entries of a pinned map, walked key by key.
uint64_t map_entries(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    return 0;
  }
  std::vector<uint8_t> key(64), next(64);
  uint64_t n = 0;
  for (void* prev = nullptr; bpf_map_get_next_key(fd, prev, next.data()) == 0; prev = key.data()) {
    key.swap(next);
    n++;
  }
  close(fd);
  return n;
}

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_privileges()) {
      return;
    }
    GuideLab::Options o;
    o.prefix = "dlab";
    o.limit = kRoutesPerFamily;
    o.daemon = BPFRD_PATH;
    o.timeout = 120s;
    lab_ = new GuideLab(o);
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_) {
      GTEST_SKIP() << "needs root";
    }
  }

  static Result bpfrouter(std::vector<std::string> args) {
    args.insert(args.begin(), {BPFR_CLIENT_PATH, "-s", lab_->env("ROUTER_CTL")});
    return run(args, nullptr, 30s);
  }
  static std::string log() {
    std::ifstream in(lab_->env("LAB_STATE") + "/bpfrouterd.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static uint64_t routes_sent() {
    return std::stoull(lab_->env("ROUTES_V4")) + std::stoull(lab_->env("ROUTES_V6"));
  }
  static uint64_t routes_received() {
    uint64_t n = 0;
    for (auto proto : {"vultr", "vultr4"}) {
      n += first_count(bpfrouter({"show", "route", "protocol", proto, "count"}).out);
    }
    return n;
  }
  // Waits once for the whole slice in the RIB; later tests find it there at once.
  static bool table_loaded() {
    static bool loaded = wait_until([] { return routes_received() == routes_sent(); }, 90s, 500ms);
    return loaded;
  }
  static std::string host_v6() { return lab_->hosts_v6().at(0); }
  static Result client_ping(const std::string& host, int count, Duration timeout) {
    return lab_->client().run({"ping", "-6", "-q", "-c", std::to_string(count), "-i", "0.05", "-W",
                               "1", "-I", lab_->env("CLIENT_V6"), host},
                              timeout);
  }
  // `bpfrouter stats --prefix ADDRESS`: the most specific route holding the address.
  static nlohmann::json stats_row(const std::string& address, const std::string& interval) {
    auto r = run({BPFR_CLIENT_PATH, "stats", "--pin-root", lab_->env("PIN_ROOT"), "--prefix",
                  address, "--interval", interval, "--json"},
                 nullptr, 30s);
    if (!r.ok()) {
      return nlohmann::json::object({{"error", r.describe()}});
    }
    auto doc = nlohmann::json::parse(r.out);
    nlohmann::json best;
    int best_len = -1;
    for (const auto& p : doc["prefixes"]) {
      if (!p["prefix"].is_string()) {
        continue;  // the aggregate slot
      }
      auto text = p["prefix"].get<std::string>();
      int len = std::stoi(text.substr(text.find('/') + 1));
      if (len > best_len) {
        best = p;
        best_len = len;
      }
    }
    return best;
  }
  static uint64_t fast_packets(const std::string& address) {
    auto row = stats_row(address, "0");
    return row.contains("packets") ? row["packets"].get<uint64_t>() : 0;
  }

  static GuideLab* lab_;
};

GuideLab* DemoTest::lab_ = nullptr;

TEST_F(DemoTest, SessionIsEstablishedWithMd5AndMultihop2) {
  auto established = [] {
    return bpfrouter({"show", "protocols", "all", "vultr"}).out.find("Established") !=
           std::string::npos;
  };
  ASSERT_TRUE(wait_until(established, 60s, 500ms))
      << bpfrouter({"show", "protocols", "all", "vultr"}).describe() << "\nbpfrouterd log:\n"
      << log();
  auto transit = lab_->transit_birdc({"show", "protocols", "all", "customer6"});
  EXPECT_NE(transit.out.find("Established"), std::string::npos) << transit.out;

  auto ss = check(lab_->router().run({"ss", "-tie", "sport = :179 or dport = :179"}), "ss");
  EXPECT_NE(ss.find("md5keys:" + lab_->env("TRANSIT_BGP_V6") + "/128"), std::string::npos) << ss;

  auto route = check(lab_->router().run({"ip", "-6", "route", "get", lab_->env("TRANSIT_BGP_V6")}),
                     "ip route get");
  EXPECT_NE(route.find(" via "), std::string::npos) << "speaker on a connected link: " << route;
  auto conf = check(run({"cat", lab_->env("ROUTER_CONF")}), "cat router.conf");
  EXPECT_NE(conf.find("multihop 2;"), std::string::npos);
}

TEST_F(DemoTest, TheTransitSeesThe48) {
  auto prefix = lab_->env("ROUTER_PREFIX");
  bool seen = wait_until(
      [&] {
        auto r = lab_->transit_birdc({"show", "route", prefix, "protocol", "customer6"});
        return r.out.find(prefix) != std::string::npos;
      },
      60s, 500ms);
  EXPECT_TRUE(seen) << lab_->transit_birdc({"show", "route", prefix, "all"}).describe();
}

TEST_F(DemoTest, EveryRouteTheTransitSentIsInTheRibAndTheFastPath) {
  EXPECT_EQ(routes_sent(), 2 * kRoutesPerFamily);
  ASSERT_TRUE(table_loaded()) << routes_received() << " of " << routes_sent() << " routes; "
                              << bpfrouter({"show", "route", "count"}).describe();

  // The maps also hold the router's own local and connected routes.
  auto pin_root = lab_->env("PIN_ROOT");
  uint64_t entries = 0;
  auto installed = [&] {
    entries = map_entries(pin_root + "/routes_v4_v1") + map_entries(pin_root + "/routes_v6_v1");
    return entries >= routes_sent();
  };
  EXPECT_TRUE(wait_until(installed, 10s, 200ms)) << entries << " entries in the route maps";
}

TEST_F(DemoTest, TheLearnedRoutesReachTheRoutersKernel) {
  ASSERT_TRUE(table_loaded());
  uint64_t v4 = 0, v6 = 0;
  auto exported = [&] {
    v4 = lines(lab_->router().run({"ip", "-4", "route", "show", "proto", "bird"}).out);
    v6 = lines(lab_->router().run({"ip", "-6", "route", "show", "proto", "bird"}).out);
    return v4 == std::stoull(lab_->env("ROUTES_V4")) && v6 == std::stoull(lab_->env("ROUTES_V6"));
  };
  EXPECT_TRUE(wait_until(exported, 30s, 200ms)) << v4 << " IPv4 and " << v6 << " IPv6 routes";

  // Through the transit's end of the upstream link, where the BGP next hop resolves.
  auto r = lab_->router().run({"ip", "-6", "route", "get", host_v6()});
  EXPECT_NE(r.out.find("proto bird"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dev " + lab_->env("ROUTER_UPSTREAM_IF") + " "), std::string::npos) << r.out;
}

TEST_F(DemoTest, TheInternetHostsLieInPrefixesLearnedOverBgp) {
  ASSERT_TRUE(table_loaded());
  std::set<std::string> fed;
  std::ifstream in(lab_->env("PREFIXES"));
  for (std::string line; std::getline(in, line);) {
    fed.insert(line);
  }
  auto hosts = lab_->hosts_v4();
  auto v6 = lab_->hosts_v6();
  hosts.insert(hosts.end(), v6.begin(), v6.end());
  ASSERT_EQ(hosts.size(), 4u);
  for (const auto& host : hosts) {
    // "Table master6:" then "PREFIX  unicast [vultr TIME from ADDR] * (100)".
    auto r = bpfrouter({"show", "route", "for", host});
    std::istringstream reply(r.out);
    std::string line;
    while (std::getline(reply, line) && line.find("unicast") == std::string::npos) {
    }
    auto prefix = line.substr(0, line.find(' '));
    EXPECT_TRUE(fed.count(prefix)) << host << ": " << r.out;
    EXPECT_NE(line.find("[vultr"), std::string::npos) << host << ": " << r.out;
    EXPECT_NE(line.find(" * "), std::string::npos) << host << " not on its best route: " << r.out;
    EXPECT_NE(prefix.substr(prefix.find('/')), "/0") << host;
  }
}

TEST_F(DemoTest, TheUpstreamGetsXdpAndWg0GetsTc) {
  ASSERT_TRUE(table_loaded());
  namespace fs = std::filesystem;
  fs::path links = fs::path(lab_->env("PIN_ROOT")) / "links";
  auto upstream = links / ("xdp_" + lab_->env("ROUTER_UPSTREAM_IF"));
  auto wg = links / ("tcx_" + lab_->env("WG_ROUTER_IF"));
  EXPECT_TRUE(wait_until([&] { return fs::exists(upstream) && fs::exists(wg); }, 10s, 100ms))
      << "bpfrouterd log:\n"
      << log();
  // The client's own link and the dummy stand-in carry no BGP neighbour and no next hop.
  EXPECT_FALSE(fs::exists(links / ("xdp_" + lab_->env("ROUTER_ACCESS_IF"))));
  EXPECT_FALSE(fs::exists(links / ("xdp_" + lab_->env("ROUTER_DUMMY_IF"))));
}

TEST_F(DemoTest, TheClientReachesAnInternetHostOverWireGuardOnTheFastPath) {
  ASSERT_TRUE(table_loaded());
  auto host = host_v6();
  // The first packets may meet a next hop whose MAC the kernel is still resolving.
  bool reached = wait_until([&] { return client_ping(host, 1, 5s).ok(); }, 30s, 200ms);
  ASSERT_TRUE(reached) << "no reply from " << host << " to " << lab_->env("CLIENT_V6")
                       << "\nbpfrouterd log:\n"
                       << log();

  uint64_t out_before = fast_packets(host), back_before = fast_packets(lab_->env("CLIENT_V6"));
  uint64_t kernel_before = lab_->router().counter("Ip6OutForwDatagrams");
  auto ping = client_ping(host, kPings, 20s);
  ASSERT_TRUE(ping.ok()) << ping.describe();
  uint64_t out = fast_packets(host) - out_before;
  uint64_t back = fast_packets(lab_->env("CLIENT_V6")) - back_before;
  uint64_t by_kernel = lab_->router().counter("Ip6OutForwDatagrams") - kernel_before;

  // Out: wg0's tc program to the upstream; back: the upstream's XDP program into wg0.
  EXPECT_GE(out, uint64_t(kPings)) << "towards " << host;
  EXPECT_GE(back, uint64_t(kPings)) << "back towards " << lab_->env("CLIENT_V6");
  EXPECT_EQ(by_kernel, 0u) << "the router's kernel forwarded some of them";
}

TEST_F(DemoTest, StatsCountTheHostsPrefixWhileTrafficFlows) {
  ASSERT_TRUE(table_loaded());
  auto host = host_v6();
  ASSERT_TRUE(wait_until([&] { return client_ping(host, 1, 5s).ok(); }, 30s, 200ms));
  Process flow({"ping", "-6", "-q", "-c", "400", "-i", "0.01", "-W", "1", "-I",
                lab_->env("CLIENT_V6"), host},
               &lab_->client());

  // A one-second rate read while the flow runs: packets per second on the host's prefix.
  auto row = stats_row(host, "1");
  ASSERT_TRUE(row.contains("prefix")) << row.dump();
  EXPECT_GT(row["packets"].get<uint64_t>(), 0u) << row.dump();
  ASSERT_TRUE(row["pps"].is_number()) << row.dump();
  EXPECT_GT(row["pps"].get<double>(), 0.0) << row.dump();

  auto text = run({BPFR_CLIENT_PATH, "stats", "--pin-root", lab_->env("PIN_ROOT"), "--prefix", host,
                   "--interval", "0"},
                  nullptr, 30s);
  EXPECT_NE(text.out.find(row["prefix"].get<std::string>()), std::string::npos) << text.describe();
}

}  // namespace
}  // namespace bpfr::lab
