// The same filters run by BIRD 2 and by bpfrouter over the same routes, compared route by route:
// accepted or not, and every BGP attribute after the filter.
//
// One configuration holds the filters and, per filter, a static protocol whose routes carry
// BGP attributes (set by the routes' attribute blocks) and whose channel imports through that
// filter. BIRD runs it in a namespace and `birdc show route all protocol P` tells what it
// accepted and how it changed it; bpfrouter parses the same text and runs each route's block
// and then the channel's filter on a route built as BIRD builds it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include "config/filter.h"
#include "config/parser.h"
#include "lab/lab.h"

namespace bpfr::config {
namespace {

using namespace std::chrono_literals;

// Filters as transit and customer sessions use them, plus runtime errors (both must reject).
constexpr const char* kFilters = R"(
define OUR_AS = 65535;
define BOGONS_V6 = [ ::/8+, 2001:2::/48+, 2001:10::/28+, 2002::/16+, 3ffe::/16+, fc00::/7+,
                     fe80::/10+, ff00::/8+ ];
define BOGONS_V4 = [ 0.0.0.0/8+, 10.0.0.0/8+, 100.64.0.0/10+, 127.0.0.0/8+, 172.16.0.0/12+,
                     192.168.0.0/16+, 224.0.0.0/4+ ];
define BOGON_ASNS = [ 0, 23456, 64496..64511, 64512..65534, 4200000000..4294967295 ];
define CUSTOMER_V6 = [ 2001:db8:100::/40{40,48} ];
define CUSTOMER_V4 = [ 198.51.100.0/24{24,24} ];

function is_bogon_net()
{
  case net.type {
    NET_IP6: return net ~ BOGONS_V6;
    else: return net ~ BOGONS_V4;
  }
}

function too_long(int max6; int max4)
{
  if net.type = NET_IP6 then return net.len > max6;
  return net.len > max4;
}

function mark(int kind)
int step;
{
  step = 100;
  bgp_community.add((OUR_AS, step + kind));
  bgp_large_community.add((OUR_AS, 1, kind));
}

filter transit_in
{
  if is_bogon_net() then reject;
  if too_long(48, 24) then reject;
  if bgp_path.len > 8 then reject;
  if bgp_path ~ BOGON_ASNS then reject;
  if bgp_path ~ [= * 64666 * =] then reject;
  if (3356, 666) ~ bgp_community then reject;
  bgp_community.delete([(OUR_AS, *)]);
  bgp_large_community.delete([(OUR_AS, *, *)]);
  bgp_local_pref = 100;
  if bgp_path.first = 3356 then bgp_local_pref = 90;
  mark(1);
  accept;
}

filter customer_in
int head_as;
{
  if net.type = NET_IP6 then {
    if net !~ CUSTOMER_V6 then reject;
  } else {
    if net !~ CUSTOMER_V4 then reject;
  }
  head_as = bgp_path.first;
  if head_as != 64700 then reject;
  if bgp_path.last != 64700 && bgp_path.last != 64701 then reject;
  bgp_local_pref = 200;
  case bgp_origin {
    ORIGIN_IGP: bgp_med = 0;
    ORIGIN_EGP, ORIGIN_INCOMPLETE: bgp_med = 50;
  }
  if (64700, 1) ~ bgp_community then bgp_path.prepend(64700);
  bgp_community.delete([(64700, 100..199)]);
  bgp_community.filter([(64700, *), (3356, *)]);
  mark(2);
  accept;
}

filter rewrite_out
{
  if source != RTS_STATIC then reject;
  if proto !~ "feed_rewrite*" then reject;
  if defined(bgp_med) then bgp_med = bgp_med + 10; else bgp_med = 1;
  if bgp_path ~ [= 3356 * =] then bgp_path.delete(3356);
  bgp_path.prepend(OUR_AS);
  bgp_path.prepend(OUR_AS);
  bgp_ext_community.add((rt, OUR_AS, 7));
  bgp_origin = ORIGIN_INCOMPLETE;
  if net.len = 48 || net.len = 24 then accept "exact";
  reject "not exact";
}

filter strict_med
{
  # A runtime error for routes without MED: BIRD rejects those, so must we.
  if bgp_med > 10 then reject;
  accept;
}
)";

// A route fed to every filter: its prefix and the attribute block that builds it.
struct FeedRoute {
  const char* prefix;
  const char* attributes;
};

// Attribute blocks build the routes in the order BIRD's paths read: prepend the origin AS first.
const std::vector<FeedRoute> kRoutes = {
    {"2001:db8:100::/48",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(64700); bgp_community.add((64700, 1));"
     " bgp_community.add((64700, 150)); bgp_community.add((65000, 5));"},
    {"2001:db8:101::/48",
     "bgp_origin = ORIGIN_EGP; bgp_path.prepend(64701); bgp_path.prepend(64700); bgp_med = 7;"},
    {"2001:db8:102::/56", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(64700);"},
    {"2a00:1450::/32",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(15169); bgp_path.prepend(3356);"
     " bgp_community.add((3356, 100)); bgp_community.add((65535, 9));"
     " bgp_large_community.add((65535, 5, 5)); bgp_large_community.add((3356, 1, 1));"},
    {"2a01:4f8::/32",
     "bgp_origin = ORIGIN_INCOMPLETE; bgp_path.prepend(24940); bgp_path.prepend(1299);"
     " bgp_med = 20;"},
    {"2a02:2e0::/32",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(3320); bgp_path.prepend(64666);"
     " bgp_path.prepend(174);"},
    {"2a03:2880::/32",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(32934); bgp_path.prepend(3356);"
     " bgp_community.add((3356, 666));"},
    {"2a04:4e40::/48", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(64512); bgp_path.prepend(174);"},
    {"2a05:d000::/64", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(16509); bgp_path.prepend(174);"},
    {"fc00:1::/48", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(174);"},
    {"2a06:98c0::/29",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(13335); bgp_path.prepend(13335);"
     " bgp_path.prepend(13335); bgp_path.prepend(13335); bgp_path.prepend(13335);"
     " bgp_path.prepend(13335); bgp_path.prepend(13335); bgp_path.prepend(13335);"
     " bgp_path.prepend(174);"},
    {"2a07:1c44::/48", "bgp_path.prepend(3356); bgp_med = 3; bgp_ext_community.add((rt, 1, 2));"},
    {"198.51.100.0/24",
     "bgp_origin = ORIGIN_INCOMPLETE; bgp_path.prepend(64700); bgp_community.add((3356, 5));"},
    {"198.51.100.0/25", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(64700);"},
    {"8.8.8.0/24",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(15169); bgp_path.prepend(3356); bgp_med = 30;"},
    {"10.20.0.0/16", "bgp_origin = ORIGIN_IGP; bgp_path.prepend(174);"},
    {"1.1.1.0/24",
     "bgp_origin = ORIGIN_IGP; bgp_path.prepend(13335); bgp_path.prepend(23456);"
     " bgp_path.prepend(174);"},
};

const std::vector<std::string> kFilterNames = {"transit_in", "customer_in", "rewrite_out",
                                               "strict_med"};

// feed_<filter>6 and feed_<filter>4: one static protocol per filter and family.
std::string configuration() {
  std::string text = "router id 192.0.2.1;\nprotocol device {}\n";
  text += kFilters;
  for (const auto& filter : kFilterNames) {
    for (auto v6 : {true, false}) {
      text += fmt::format("protocol static feed_{}{} {{\n  {} {{ import filter {}; }};\n", filter,
                          v6 ? 6 : 4, v6 ? "ipv6" : "ipv4", filter);
      for (const auto& r : kRoutes)
        if ((std::string_view(r.prefix).find(':') != std::string_view::npos) == v6)
          text += fmt::format("  route {} blackhole {{ {} }};\n", r.prefix, r.attributes);
      text += "}\n";
    }
  }
  return text;
}

using Routes = std::map<std::string, std::set<std::string>>;  // prefix -> "BGP.x: value" lines

// `birdc show route all protocol P`: the BGP attribute lines of every route.
Routes bird_routes(const lab::Bird& bird, const std::string& protocol) {
  auto shown = bird.birdc({"show", "route", "all", "protocol", protocol});
  Routes out;
  std::istringstream lines(shown.out);
  std::string line, current;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("Table ", 0) == 0)
      continue;
    if (line[0] != ' ' && line[0] != '\t') {
      current = line.substr(0, line.find(' '));
      out[current];
      continue;
    }
    auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 4, "BGP.") == 0)
      out[current].insert(line.substr(first));
  }
  return out;
}

std::string as_path_text(const std::vector<filter::AsPathSegment>& path) {
  std::string out;
  for (const auto& seg : path) {
    bool set = seg.type == filter::AsPathSegment::Type::set;
    if (!out.empty())
      out += ' ';
    if (set)
      out += "{";
    for (size_t i = 0; i < seg.asns.size(); ++i)
      out += (i ? " " : "") + std::to_string(seg.asns[i]);
    if (set)
      out += "}";
  }
  return out;
}

// Our route's BGP attributes in BIRD's `show route all` words.
std::set<std::string> our_lines(const filter::FilterRoute& r) {
  std::set<std::string> out;
  if (r.origin) {
    const char* names[] = {"IGP", "EGP", "Incomplete"};
    out.insert(fmt::format("BGP.origin: {}", names[int(*r.origin)]));
  }
  if (!r.as_path.empty())
    out.insert("BGP.as_path: " + as_path_text(r.as_path));
  if (r.med)
    out.insert(fmt::format("BGP.med: {}", *r.med));
  if (r.local_pref)
    out.insert(fmt::format("BGP.local_pref: {}", *r.local_pref));
  auto list = [&](const char* name, std::vector<std::string> items) {
    if (!items.empty())
      out.insert(fmt::format("BGP.{}: {}", name, fmt::join(items, " ")));
  };
  std::vector<std::string> items;
  for (auto c : r.communities)
    items.push_back(fmt::format("({},{})", c >> 16, c & 0xffff));
  list("community", items);
  items.clear();
  for (auto e : r.ext_communities) {
    filter::Value v;
    v.type = filter::Type::ec;
    v.n = int64_t(e);
    items.push_back(filter::format_value(v));
  }
  list("ext_community", items);
  items.clear();
  for (const auto& l : r.large_communities)
    items.push_back(fmt::format("({}, {}, {})", l.global, l.local1, l.local2));
  list("large_community", items);
  return out;
}

// What bpfrouter does with the protocol's routes: each route's block, then the channel filter.
Routes our_routes(const StaticProtocol& p) {
  Routes out;
  const auto& policy = p.channels.at(0).import_policy;
  for (const auto& sr : p.routes) {
    filter::FilterRoute r;
    r.net = sr.prefix;
    r.source = filter::RouteSource::static_;
    r.proto = p.name;
    r.dest = filter::RouteDest::blackhole;
    r.preference = 200;
    if (sr.attributes)
      filter::run(*sr.attributes, r);  // its verdict does not matter, as in BIRD
    if (filter::run(*policy.filter, r) == filter::Verdict::accept)
      out[fmt::format("{}", sr.prefix)] = our_lines(r);
  }
  return out;
}

std::string describe(const Routes& routes) {
  std::string out;
  for (const auto& [prefix, lines] : routes)
    out += fmt::format("  {}: {}\n", prefix, fmt::join(lines, "; "));
  return out;
}

TEST(FiltersAgainstBird, SameVerdictsAndSameChanges) {
  if (!lab::have_privileges())
    GTEST_SKIP() << "needs root for a namespace";
  if (access("/usr/sbin/bird", X_OK) != 0)
    GTEST_SKIP() << "bird (bird2 package) is not installed: comparison skipped";

  auto text = configuration();
  Config ours;
  try {
    ours = parse_config_text(text, "filters-vs-bird.conf");
  } catch (const ConfigError& e) {
    FAIL() << e.what();
  }
  lab::Netns ns("bfilt");
  lab::Bird bird(ns, text);
  ASSERT_TRUE(bird.wait_ready(10s));

  // A static protocol's routes are in the table once it is up.
  ASSERT_TRUE(lab::wait_until(
      [&] {
        auto shown = bird.birdc({"show", "protocols"}).out;
        size_t up = 0;
        for (size_t at = shown.find(" up "); at != std::string::npos; at = shown.find(" up ", at + 1))
          ++up;
        return up == ours.statics.size() + 1;  // and the device protocol
      },
      10s, 100ms))
      << bird.birdc({"show", "protocols"}).out;

  size_t accepted = 0, rejected = 0;
  for (const auto& p : ours.statics) {
    SCOPED_TRACE(p.name);
    Routes theirs = bird_routes(bird, p.name);
    auto mine = our_routes(p);
    EXPECT_EQ(mine, theirs) << "bpfrouter:\n" << describe(mine) << "BIRD:\n" << describe(theirs);
    accepted += theirs.size();
    rejected += p.routes.size() - theirs.size();
  }
  // The rows mean something only if both verdicts occur often.
  EXPECT_GE(accepted, 10u);
  EXPECT_GE(rejected, 10u);
  RecordProperty("routes_accepted", int(accepted));
  RecordProperty("routes_rejected", int(rejected));
}

}  // namespace
}  // namespace bpfr::config
