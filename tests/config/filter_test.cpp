#include "config/filter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <functional>

#include "config/parser.h"

namespace bpfr::filter {
namespace {

using Seg = AsPathSegment;

Prefix net(const char* text) { return *Prefix::parse(text); }
Address ip(const char* text) { return *Address::parse(text); }

// A route as a transit upstream sends it.
FilterRoute bgp_route(const char* prefix = "2001:db8:100::/48") {
  FilterRoute r;
  r.net = net(prefix);
  r.source = RouteSource::bgp;
  r.proto = "upstream1";
  r.origin = Origin::igp;
  r.as_path = {Seg{Seg::Type::sequence, {64515, 3356, 15169}}};
  r.next_hop = ip("2001:db8:ffff::1");
  r.from = ip("2001:db8:ffff::1");
  r.communities = {community(3356, 100), community(64515, 1)};
  r.large_communities = {{64515, 1, 2}};
  return r;
}

struct Row {
  const char* name;
  const char* filter;  // a filter body, or a fragment ending in `filter NAME { ... }`
  std::function<void(FilterRoute&)> in;   // changes to bgp_route()
  Verdict verdict;
  std::function<void(FilterRoute&)> out;  // what the filter should have changed
  const char* printed = nullptr;          // expected print output, if any
};

void run_rows(const std::vector<Row>& rows) {
  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::shared_ptr<const Filter> f;
    try {
      f = compile(row.filter);
    } catch (const config::ConfigError& e) {
      ADD_FAILURE() << "does not compile: " << e.what();
      continue;
    }
    FilterRoute route = bgp_route();
    if (row.in)
      row.in(route);
    FilterRoute want = route;
    if (row.out)
      row.out(want);
    std::string printed;
    RunOptions options{&printed};
    EXPECT_EQ(run(*f, route, options), row.verdict) << printed;
    EXPECT_EQ(route, want) << printed;
    if (row.printed) {
      EXPECT_EQ(printed, row.printed);
    }
  }
}

const auto none = std::function<void(FilterRoute&)>{};

TEST(Filter, VerdictsAndControlFlow) {
  run_rows({
      {"accept accepts", "{ accept; }", none, Verdict::accept, none},
      {"reject rejects", "{ reject; }", none, Verdict::reject, none},
      {"falling off the end rejects", "{ if false then accept; }", none, Verdict::reject, none},
      {"first verdict wins", "{ accept; reject; }", none, Verdict::accept, none},
      {"else branch", "{ if 1 > 2 then accept; else reject; }", none, Verdict::reject, none},
      {"blocks in both branches", "{ if net.len = 48 then { bgp_med = 1; accept; } else { reject; } }",
       none, Verdict::accept, [](FilterRoute& r) { r.med = 1; }},
      {"reject with a message prints it", "{ reject \"no \", net; }", none, Verdict::reject, none,
       "no 2001:db8:100::/48\n"},
      {"where form accepts when true", "where net.len = 48", none, Verdict::accept, none},
      {"where form rejects when false", "where net.len = 64", none, Verdict::reject, none},
      {"runtime type error rejects", "{ if net > 5 then accept; accept; }", none,
       Verdict::reject, none},
      {"unset bgp_med is below every value, not an error (BIRD 2.0)",
       "{ if bgp_med > 5 then reject; if bgp_med < 5 then accept; reject; }", none,
       Verdict::accept, none},
      {"guide export filter: own prefix out",
       "{ if net = 2001:DB8:1234::/48 then accept; }",
       [](FilterRoute& r) { r.net = net("2001:db8:1234::/48"); }, Verdict::accept, none},
      {"guide export filter: others stay in",
       "{ if net = 2001:DB8:1234::/48 then accept; }", none, Verdict::reject, none},
  });
}

TEST(Filter, PrefixesAndSets) {
  run_rows({
      {"prefix equality", "{ if net = 2001:db8:100::/48 then accept; }", none, Verdict::accept, none},
      {"net ~ prefix is subnet-of", "{ if net ~ 2001:db8::/32 then accept; }", none, Verdict::accept, none},
      {"net ~ longer prefix is false", "{ if net ~ 2001:db8:100::/56 then accept; }", none,
       Verdict::reject, none},
      {"set plus: this length and longer", "{ if net ~ [ 2001:db8::/32+ ] then accept; }", none,
       Verdict::accept, none},
      {"set without modifier: exact length only", "{ if net ~ [ 2001:db8::/32 ] then accept; }",
       none, Verdict::reject, none},
      {"set minus: this length and shorter", "{ if net ~ [ 2001:db8:100::/64- ] then accept; }",
       none, Verdict::accept, none},
      {"set range {a,b} inside", "{ if net ~ [ 2001:db8::/32{40,48} ] then accept; }", none,
       Verdict::accept, none},
      {"set range {a,b} outside", "{ if net ~ [ 2001:db8::/32{33,47} ] then accept; }", none,
       Verdict::reject, none},
      {"ipv4 route against ipv6 set", "{ if net ~ [ ::/0+ ] then accept; }",
       [](FilterRoute& r) { r.net = net("10.0.0.0/8"); }, Verdict::reject, none},
      {"net.len and net.type", "{ if net.len = 24 && net.type = NET_IP4 then accept; }",
       [](FilterRoute& r) { r.net = net("198.51.100.0/24"); }, Verdict::accept, none},
      {"net.ip", "{ if net.ip = 2001:db8:100:: then accept; }", none, Verdict::accept, none},
      {"ip ~ prefix", "{ if bgp_next_hop ~ 2001:db8:ffff::/48 then accept; }", none,
       Verdict::accept, none},
      {"int set with ranges", "{ if bgp_path.len ~ [ 1, 3..5 ] then accept; }", none,
       Verdict::accept, none},
      {"!~ negates", "{ if net !~ [ 10.0.0.0/8+ ] then accept; }", none, Verdict::accept, none},
      {"defined prefix set",
       "define BOGONS = [ 2001:db8::/32+, fc00::/7+ ]; filter f { if net ~ BOGONS then reject; accept; }",
       none, Verdict::reject, none},
  });
}

TEST(Filter, BgpPath) {
  run_rows({
      {"len counts ASNs", "{ if bgp_path.len = 3 then accept; }", none, Verdict::accept, none},
      {"an AS_SET counts as one",
       "{ if bgp_path.len = 4 then accept; }",
       [](FilterRoute& r) { r.as_path.push_back(Seg{Seg::Type::set, {1, 2, 3}}); },
       Verdict::accept, none},
      {"first is the neighbor", "{ if bgp_path.first = 64515 then accept; }", none, Verdict::accept, none},
      {"last is the origin", "{ if bgp_path.last = 15169 then accept; }", none, Verdict::accept, none},
      {"last of a path ending in a set is 0",
       "{ if bgp_path.last = 0 && bgp_path.last_nonaggregated = 15169 then accept; }",
       [](FilterRoute& r) { r.as_path.push_back(Seg{Seg::Type::set, {1, 2}}); }, Verdict::accept, none},
      {"prepend in place", "{ bgp_path.prepend(65535); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.as_path[0].asns.insert(r.as_path[0].asns.begin(), 65535); }},
      {"prepend to an empty path makes a sequence", "{ bgp_path.prepend(65535); accept; }",
       [](FilterRoute& r) { r.as_path.clear(); }, Verdict::accept,
       [](FilterRoute& r) { r.as_path = {Seg{Seg::Type::sequence, {65535}}}; }},
      {"prepend() as a function", "{ bgp_path = prepend(bgp_path, 1); accept; }", none,
       Verdict::accept, [](FilterRoute& r) { r.as_path[0].asns.insert(r.as_path[0].asns.begin(), 1); }},
      {"delete removes an ASN", "{ bgp_path.delete(3356); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.as_path[0].asns = {64515, 15169}; }},
      {"delete with a set", "{ bgp_path.delete([3000..4000, 15169]); accept; }", none,
       Verdict::accept, [](FilterRoute& r) { r.as_path[0].asns = {64515}; }},
      {"filter keeps matches", "{ bgp_path.filter([64515]); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.as_path[0].asns = {64515}; }},
      {"mask: star, ASN, star", "{ if bgp_path ~ [= * 3356 * =] then accept; }", none,
       Verdict::accept, none},
      {"mask: anchored at both ends", "{ if bgp_path ~ [= 3356 * =] then accept; }", none,
       Verdict::reject, none},
      {"mask: question mark is one ASN", "{ if bgp_path ~ [= 64515 ? 15169 =] then accept; }",
       none, Verdict::accept, none},
      {"mask: question mark is not two", "{ if bgp_path ~ [= ? 15169 =] then accept; }", none,
       Verdict::reject, none},
      {"mask: range", "{ if bgp_path ~ [= 64512..65534 * =] then accept; }", none,
       Verdict::accept, none},
      {"mask: empty path matches star", "{ if bgp_path ~ [= * =] then accept; }",
       [](FilterRoute& r) { r.as_path.clear(); }, Verdict::accept, none},
      {"ASN ~ path is membership", "{ if 3356 ~ bgp_path then accept; }", none, Verdict::accept, none},
      {"path ~ int set is any ASN in it", "{ if bgp_path ~ [ 0, 23456, 64496..64511 ] then reject; accept; }",
       none, Verdict::accept, none},
      {"path equality", "{ if bgp_path = prepend(prepend(prepend(+empty+, 15169), 3356), 64515) then accept; }",
       none, Verdict::accept, none},
  });
}

TEST(Filter, Communities) {
  run_rows({
      {"pair ~ clist", "{ if (3356,100) ~ bgp_community then accept; }", none, Verdict::accept, none},
      {"clist ~ pair set with wildcard", "{ if bgp_community ~ [(3356, *)] then accept; }", none,
       Verdict::accept, none},
      {"clist ~ pair set with range miss", "{ if bgp_community ~ [(3356, 200..300)] then accept; }",
       none, Verdict::reject, none},
      {"add appends once", "{ bgp_community.add((65535, 7)); bgp_community.add((65535, 7)); accept; }",
       none, Verdict::accept, [](FilterRoute& r) { r.communities.push_back(community(65535, 7)); }},
      {"add an existing one keeps the list", "{ bgp_community.add((3356, 100)); accept; }", none,
       Verdict::accept, none},
      {"delete one", "{ bgp_community.delete((3356, 100)); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.communities = {community(64515, 1)}; }},
      {"delete by set", "{ bgp_community.delete([(3356, *)]); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.communities = {community(64515, 1)}; }},
      {"filter by set", "{ bgp_community.filter([(3356, *)]); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.communities = {community(3356, 100)}; }},
      {"len of clist", "{ if bgp_community.len = 2 then accept; }", none, Verdict::accept, none},
      {"functions on a copy", "{ clist c; c = delete(bgp_community, (3356, 100)); if c.len = 1 && bgp_community.len = 2 then accept; }",
       none, Verdict::accept, none},
      {"pair out of range is a runtime error", "{ int x; x = 70000; bgp_community.add((x, 1)); accept; }",
       none, Verdict::reject, none},
      {"lc ~ lclist", "{ if (64515, 1, 2) ~ bgp_large_community then accept; }", none,
       Verdict::accept, none},
      {"lclist ~ lc set", "{ if bgp_large_community ~ [(64515, *, 1..5)] then accept; }", none,
       Verdict::accept, none},
      {"lc add", "{ bgp_large_community.add((65535, 0, 1)); accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.large_communities.push_back({65535, 0, 1}); }},
      {"lc delete by set", "{ bgp_large_community.delete([(64515, *, *)]); accept; }", none,
       Verdict::accept, [](FilterRoute& r) { r.large_communities.clear(); }},
      {"ext community add and match",
       "{ bgp_ext_community.add((rt, 65000, 7)); if (rt, 65000, 7) ~ bgp_ext_community then accept; }",
       none, Verdict::accept,
       [](FilterRoute& r) { r.ext_communities = {0x0002fde800000007ull}; }},
      {"blackhole community sets dest",
       "{ if (65535, 666) ~ bgp_community then { dest = RTD_BLACKHOLE; accept; } reject; }",
       [](FilterRoute& r) { r.communities.push_back(community(65535, 666)); }, Verdict::accept,
       [](FilterRoute& r) { r.dest = RouteDest::blackhole; }},
  });
}

TEST(Filter, Attributes) {
  run_rows({
      {"local pref set", "{ bgp_local_pref = 200; accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.local_pref = 200; }},
      {"med undefined until set", "{ if !defined(bgp_med) then bgp_med = 10; accept; }", none,
       Verdict::accept, [](FilterRoute& r) { r.med = 10; }},
      {"med compared when set", "{ if bgp_med > 100 then bgp_med = 100; accept; }",
       [](FilterRoute& r) { r.med = 500; }, Verdict::accept, [](FilterRoute& r) { r.med = 100; }},
      {"unset removes", "{ unset(bgp_med); accept; }", [](FilterRoute& r) { r.med = 5; },
       Verdict::accept, [](FilterRoute& r) { r.med.reset(); }},
      {"origin compared and set",
       "{ if bgp_origin = ORIGIN_IGP then bgp_origin = ORIGIN_INCOMPLETE; accept; }", none,
       Verdict::accept, [](FilterRoute& r) { r.origin = Origin::incomplete; }},
      {"next hop set", "{ bgp_next_hop = 2001:db8::2; accept; }", none, Verdict::accept,
       [](FilterRoute& r) { r.next_hop = ip("2001:db8::2"); }},
      {"source and proto", "{ if source = RTS_BGP && proto = \"upstream1\" then accept; }", none,
       Verdict::accept, none},
      {"proto pattern", "{ if proto ~ \"upstream*\" then accept; }", none, Verdict::accept, none},
      {"static source", "{ if source = RTS_STATIC then accept; }",
       [](FilterRoute& r) { r.source = RouteSource::static_; }, Verdict::accept, none},
      {"kernel attributes", "{ krt_prefsrc = 2001:db8:1234::1; krt_metric = 64; accept; }", none,
       Verdict::accept, [](FilterRoute& r) {
         r.krt_prefsrc = ip("2001:db8:1234::1");
         r.krt_metric = 64;
       }},
      {"wrong type for an attribute rejects", "{ bgp_local_pref = 2001:db8::1; accept; }", none,
       Verdict::reject, none},
      {"print formats values", "{ print net, \" \", bgp_path, \" \", bgp_community, \" \", 5 = 5; accept; }",
       none, Verdict::accept, none,
       "2001:db8:100::/48 64515 3356 15169 ((3356,100) (64515,1)) TRUE\n"},
  });
}

TEST(Filter, FunctionsVariablesAndCase) {
  run_rows({
      {"function with typed arguments",
       "function longer(prefix p; int n) { return p.len > n; }\n"
       "filter f { if longer(net, 32) then accept; reject; }",
       none, Verdict::accept, none},
      {"local variables before the body",
       "filter f int n; bool b; { n = bgp_path.len * 2; b = n = 6; if b then accept; }", none,
       Verdict::accept, none},
      {"local variables inside the body",
       "filter f { int n = 5; n = n + 1; if n = 6 then accept; }", none, Verdict::accept, none},
      {"accept inside a function ends the filter",
       "function ok() { accept; }\nfilter f { ok(); reject; }", none, Verdict::accept, none},
      {"recursion works",
       "function fact(int n) { if n <= 1 then return 1; return n * fact(n - 1); }\n"
       "filter f { if fact(5) = 120 then accept; }",
       none, Verdict::accept, none},
      {"case picks the matching arm",
       "{ case bgp_path.len { 1, 2: reject; 3: bgp_med = 3; accept; else: reject; } }", none,
       Verdict::accept, [](FilterRoute& r) { r.med = 3; }},
      {"case range label", "{ case net.len { 0 .. 32: reject; 33 .. 64: accept; } }", none,
       Verdict::accept, none},
      {"case else arm", "{ case bgp_origin { ORIGIN_EGP: reject; else: accept; } }", none,
       Verdict::accept, none},
      {"case without a match does nothing", "{ case 7 { 1: reject; } accept; }", none,
       Verdict::accept, none},
      {"defines are constants", "define OWN = 65535;\nfilter f { bgp_path.prepend(OWN); accept; }",
       none, Verdict::accept,
       [](FilterRoute& r) { r.as_path[0].asns.insert(r.as_path[0].asns.begin(), 65535); }},
      {"boolean operators", "{ if (1 = 1 && !(2 = 3)) || false then accept; }", none,
       Verdict::accept, none},
      {"arithmetic", "{ if 7 - 2 * 3 + 10 / 5 = 3 then accept; }", none, Verdict::accept, none},
  });
}

struct CompileErrorRow {
  const char* name;
  const char* text;
  const char* message;
};

TEST(Filter, CompileErrors) {
  const CompileErrorRow rows[] = {
      {"unknown word", "{ frobnicate; }", "syntax error"},
      {"unsupported attribute", "{ if bgp_originator_id = 1.2.3.4 then accept; }",
       "Attribute bgp_originator_id is not supported by bpfrouter"},
      {"net is read-only", "{ net = 10.0.0.0/8; }", "Attribute is read-only"},
      {"wrong argument count", "function f(int a) { return a; } filter g { if f(1, 2) = 1 then accept; }",
       "Function f takes 1 arguments"},
      {"mixed set", "{ if net ~ [ 10.0.0.0/8, 2001:db8::/32 ] then accept; }",
       "Mixed IPv4/IPv6 prefixes in prefix set"},
      {"bad prefix pattern range", "{ if net ~ [ 10.0.0.0/8{4,16} ] then accept; }",
       "Invalid prefix pattern range"},
      {"return type syntax is newer than BIRD 2.0", "function f() -> int { return 1; } filter g { accept; }",
       "syntax error"},
  };
  for (auto& row : rows) {
    try {
      compile(row.text);
      ADD_FAILURE() << row.name << ": compiled";
    } catch (const config::ConfigError& e) {
      EXPECT_EQ(e.message, row.message) << row.name << ": " << e.what();
    }
  }
}

// The filter that uses every construct (data/filters.conf) runs without a runtime error.
TEST(Filter, EveryConstructRunsCleanly) {
  std::ifstream in(BPFR_SOURCE_DIR "/tests/config/data/filters.conf");
  std::stringstream text;
  text << in.rdbuf();
  auto f = compile(text.str());
  FilterRoute r = bgp_route();
  r.gw = ip("192.0.2.1");
  std::string printed;
  EXPECT_EQ(run(*f, r, RunOptions{&printed}), Verdict::accept) << printed;
  EXPECT_EQ(printed.find("error"), std::string::npos) << printed;
  EXPECT_NE(printed.find("v6 2001:db8:100::/48 len 48"), std::string::npos) << printed;
  EXPECT_EQ(r.preference, 150u);
  EXPECT_EQ(r.krt_metric, 10u);
  EXPECT_EQ(r.next_hop, ip("192.0.2.2"));
  EXPECT_EQ(r.ext_communities.size(), 1u);
}

// A realistic transit import filter over many routes: must not allocate per route, and should
// stay far below BIRD's per-route cost (a few microseconds).
TEST(Filter, ImportThroughputIsHigh) {
  auto f = compile(R"(
    define BOGONS = [ ::/8+, 2001:2::/48+, 2001:10::/28+, 2001:db8::/32+, 2002::/16+, 3ffe::/16+,
                      fc00::/7+, fe80::/10+, fec0::/10+, ff00::/8+ ];
    define BOGON_ASNS = [ 0, 23456, 64496..64511, 64512..65534, 65535, 4200000000..4294967295 ];
    filter transit_in {
      if net ~ BOGONS then reject;
      if net.len > 48 || net.len < 12 then reject;
      if bgp_path.len > 64 then reject;
      if bgp_path ~ BOGON_ASNS then reject;
      if bgp_path ~ [= * 64666 * =] then reject;
      if (65535, 666) ~ bgp_community then reject;
      bgp_local_pref = 100;
      bgp_community.add((65535, 100));
      accept;
    })");
  FilterRoute base = bgp_route("2a00::/32");
  base.as_path = {Seg{Seg::Type::sequence, {174, 3356, 15169}}};
  constexpr int n = 200000;
  int accepted = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i++) {
    FilterRoute r = base;
    r.net.addr.bytes[2] = uint8_t(i);
    r.net.addr.bytes[3] = uint8_t(i >> 8);
    accepted += run(*f, r) == Verdict::accept;
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(accepted, n);
  RecordProperty("ns_per_route", std::to_string(ns / n));
  // Generous bound for sanitizer and debug builds; release builds run well under 1 us.
  EXPECT_LT(ns / n, 20000) << ns / n << " ns per route";
}

}  // namespace
}  // namespace bpfr::filter
