#include "control/lab.h"

#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bpfr::control::lab {

namespace {

Address ip(const char* text) {
  return *Address::parse(text);
}
Prefix net(const char* text) {
  return *Prefix::parse(text);
}

ChannelInfo channel(const char* name, const char* table, uint32_t pref, uint32_t routes) {
  ChannelInfo ch;
  ch.name = name;
  ch.state = "UP";
  ch.table = table;
  ch.preference = pref;
  ch.imported = ch.preferred = routes;
  ch.import_updates = {routes, 0, 0, 0, routes};
  ch.import_withdraws = {0, 0, std::nullopt, 0, 0};
  ch.export_updates = {0, 0, 0, std::nullopt, 0};
  ch.export_withdraws = {0, std::nullopt, std::nullopt, std::nullopt, 0};
  return ch;
}

const std::vector<std::string> kCapabilities = {"Multiprotocol",
                                                "  AF announced: ipv4",
                                                "Route refresh",
                                                "Graceful restart",
                                                "4-octet AS numbers",
                                                "Enhanced refresh",
                                                "Long-lived graceful restart"};

RouteInfo route(const char* prefix, const char* table, const char* dest, const char* proto,
                const char* since, uint32_t pref, const char* type) {
  RouteInfo r;
  r.net = net(prefix);
  r.table = table;
  r.dest = dest;
  r.protocol = proto;
  r.since = at(since);
  r.preference = pref;
  r.type = type;
  return r;
}

RouteInfo via(RouteInfo r, const char* gw) {
  r.nexthops.push_back({ip(gw), "dummy0"});
  return r;
}

RouteInfo dev(RouteInfo r) {
  r.nexthops.push_back({std::nullopt, "dummy0"});
  return r;
}

RouteInfo bgp(const char* prefix, const char* info, const char* path) {
  auto r = via(route(prefix, "master4", "unicast", "upstream1", "14:08:54.911", 100, "BGP univ"),
               "192.0.2.20");
  r.info = info;
  r.attributes = {{"BGP.origin", "IGP"},
                  {"BGP.as_path", path},
                  {"BGP.next_hop", "192.0.2.20"},
                  {"BGP.local_pref", "100"}};
  return r;
}

}  // namespace

Time at(const std::string& clock) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 11;
  tm.tm_mday = 3;
  int ms = 0;
  std::sscanf(clock.c_str(), "%d:%d:%d.%d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

Time now() {
  return at("14:08:59.843");
}

StatusInfo status() {
  StatusInfo st;
  st.version = "2.0.12";
  st.router_id = ip("192.0.2.1");
  st.hostname = "vm";
  st.now = now();
  st.boot = st.reconfigured = at("14:08:48.903");
  return st;
}

std::vector<ProtocolInfo> protocols() {
  Time start = at("14:08:48.903");
  std::vector<ProtocolInfo> out;
  out.push_back({"device1", "Device", "---", "up", start});

  ProtocolInfo direct{"direct1", "Direct", "---", "up", start};
  direct.channels = {channel("ipv4", "master4", 240, 1), channel("ipv6", "master6", 240, 1)};
  out.push_back(direct);

  ProtocolInfo s4{"static4", "Static", "master4", "up", start};
  s4.channels = {channel("ipv4", "master4", 200, 3)};
  out.push_back(s4);
  ProtocolInfo s6{"static6", "Static", "master6", "up", start};
  s6.channels = {channel("ipv6", "master6", 200, 2)};
  out.push_back(s6);

  ProtocolInfo down{"upstream_transit_long1", "BGP", "---", "down", start};
  down.bgp = BgpDetails{"Down", ip("192.0.2.99"), 64509, 64500};
  ChannelInfo down_ch;
  down_ch.name = "ipv4";
  down_ch.state = "DOWN";
  down_ch.table = "master4";
  down_ch.preference = 100;
  down.channels = {down_ch};
  out.push_back(down);

  ProtocolInfo up{"upstream1", "BGP", "---", "up", at("14:08:53.006"), bgp_info("Established")};
  up.description = "Transit A";
  BgpDetails b{"Established", ip("192.0.2.20"), 64501, 64500};
  b.neighbor_id = ip("192.0.2.20");
  b.local_capabilities = b.neighbor_capabilities = kCapabilities;
  b.session = "external AS4";
  b.source_address = ip("192.0.2.1");
  b.hold_timer = {228.379, 240};
  b.keepalive_timer = {58.391, 80};
  up.bgp = b;
  ChannelInfo ch = channel("ipv4", "master4", 100, 2);
  ch.export_updates = {6, 2, 4, std::nullopt, 0};
  ch.bgp_next_hop = ip("192.0.2.1");
  up.channels = {ch};
  out.push_back(up);
  return out;
}

std::vector<RouteTable> tables() {
  RouteTable t4{"master4"};
  auto r65 = bgp("100.65.0.0/24", "[AS64999i]", "64501 64999");
  auto r64 = bgp("100.64.0.0/16", "[AS64501i]", "64501");
  r64.attributes.push_back({"BGP.community", "(64501,100)"});
  r64.attributes.push_back({"BGP.large_community", "(64501, 1, 2)"});
  t4.routes = {
      r65,
      via(route("198.51.100.0/24", "master4", "unicast", "static4", "14:08:48.903", 200,
                "static univ"),
          "192.0.2.10"),
      dev(route("192.0.2.0/24", "master4", "unicast", "direct1", "14:08:48.905", 240,
                "device univ")),
      route("10.10.0.0/16", "master4", "unreachable", "static4", "14:08:48.903", 200,
            "static univ"),
      r64,
      route("203.0.113.0/24", "master4", "blackhole", "static4", "14:08:48.903", 200,
            "static univ"),
  };
  RouteTable t6{"master6"};
  t6.routes = {
      via(route("2001:db8:100::/48", "master6", "unicast", "static6", "14:08:48.903", 200,
                "static univ"),
          "2001:db8::10"),
      route("2001:db8:200::/48", "master6", "blackhole", "static6", "14:08:48.903", 200,
            "static univ"),
      dev(route("2001:db8::/64", "master6", "unicast", "direct1", "14:08:48.905", 240,
                "device univ")),
  };
  return {t4, t6};
}

std::vector<InterfaceInfo> interfaces() {
  InterfaceInfo lo{
      "lo", true, 1, {"MultiAccess", "AdminUp", "LinkUp", "Loopback", "Ignored"}, 65536};
  lo.addresses = {{ip("127.0.0.1"), 8, {"Preferred"}, "host"},
                  {ip("::1"), 128, {"Preferred"}, "host"}};
  InterfaceInfo d{
      "dummy0", true, 2, {"MultiAccess", "Broadcast", "Multicast", "AdminUp", "LinkUp"}, 1500};
  d.addresses = {{ip("192.0.2.1"), 24, {"Preferred"}, "univ"},
                 {ip("2001:db8::1"), 64, {"Preferred"}, "univ"},
                 {ip("fe80::18a6:4eff:fe68:ab8d"), 64, {"Preferred"}, "link"}};
  return {lo, d};
}

std::string golden(const std::string& name) {
  std::string path = std::string(BPFR_SOURCE_DIR) + "/tests/control/golden/" + name + ".wire";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("no golden file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace bpfr::control::lab
