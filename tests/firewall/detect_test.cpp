// `nft -j list ruleset` output (trimmed from nft 1.0.6 on Debian 12, handles kept) and what
// the daemon concludes from it: which rules concern which traffic, and what stays on the kernel
// path.
#include <gtest/gtest.h>

#include "config/dump.h"
#include "config/parser.h"
#include "dataplane/firewall.h"

namespace bpfr::dp {
namespace {

// Debian's /etc/nftables.conf: base chains with accept policy and no rules.
constexpr const char* debian_default = R"({"nftables": [
 {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
 {"table": {"family": "inet", "name": "filter", "handle": 1}},
 {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter",
            "hook": "input", "prio": 0, "policy": "accept"}},
 {"chain": {"family": "inet", "table": "filter", "name": "forward", "handle": 2,
            "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
 {"chain": {"family": "inet", "table": "filter", "name": "output", "handle": 3,
            "type": "filter", "hook": "output", "prio": 0, "policy": "accept"}}]})";

// ufw through iptables-nft: FORWARD drops by policy and jumps to ufw's chains.
constexpr const char* ufw = R"({"nftables": [
 {"table": {"family": "ip6", "name": "filter", "handle": 2}},
 {"chain": {"family": "ip6", "table": "filter", "name": "FORWARD", "handle": 2,
            "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
 {"chain": {"family": "ip6", "table": "filter", "name": "ufw6-before-forward", "handle": 9}},
 {"rule": {"family": "ip6", "table": "filter", "chain": "FORWARD", "handle": 30,
           "expr": [{"counter": {"packets": 0, "bytes": 0}},
                    {"jump": {"target": "ufw6-before-forward"}}]}}]})";

constexpr const char* forward_rule = R"({"nftables": [
 {"table": {"family": "inet", "name": "fw", "handle": 3}},
 {"chain": {"family": "inet", "table": "fw", "name": "fwd", "handle": 1, "type": "filter",
            "hook": "forward", "prio": 0, "policy": "accept"}},
 {"rule": {"family": "inet", "table": "fw", "chain": "fwd", "handle": 2,
           "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}},
                               "right": "udp"}}, {"counter": null}]}}]})";

constexpr const char* masquerade = R"({"nftables": [
 {"table": {"family": "ip", "name": "nat", "handle": 4}},
 {"chain": {"family": "ip", "table": "nat", "name": "postrouting", "handle": 1, "type": "nat",
            "hook": "postrouting", "prio": 100, "policy": "accept"}},
 {"rule": {"family": "ip", "table": "nat", "chain": "postrouting", "handle": 2,
           "expr": [{"masquerade": null}]}}]})";

// An empty NAT chain, as `iptables -t nat -L` leaves behind, translates nothing.
constexpr const char* empty_nat = R"({"nftables": [
 {"chain": {"family": "ip", "table": "nat", "name": "POSTROUTING", "handle": 1, "type": "nat",
            "hook": "postrouting", "prio": 100, "policy": "accept"}}]})";

// nft 1.0.6 on Debian 12, from a scratch namespace: rules that name prefixes or devices, a
// named set, a range, a jump to a regular chain, masquerade and dnat bounded by a device.
constexpr const char* bounded_rules = R"({"nftables": [
 {"table": {"family": "inet", "name": "fw", "handle": 1}},
 {"set": {"family": "inet", "name": "blocked", "table": "fw", "type": "ipv4_addr", "handle": 3,
          "flags": ["interval"],
          "elem": [{"prefix": {"addr": "198.51.100.0", "len": 24}}, "203.0.113.7"]}},
 {"chain": {"family": "inet", "table": "fw", "name": "lab_forward", "handle": 1,
            "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
 {"chain": {"family": "inet", "table": "fw", "name": "lab_sub", "handle": 2}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 4, "expr": [
   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
              "right": {"prefix": {"addr": "10.99.0.0", "len": 24}}}},
   {"counter": {"packets": 0, "bytes": 0}}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 6, "expr": [
   {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}},
              "right": {"set": ["fd00:97::1", {"prefix": {"addr": "fd00:98::", "len": 64}}]}}},
   {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
              "right": 22}}, {"drop": null}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 7, "expr": [
   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
              "right": "@blocked"}}, {"drop": null}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 8, "expr": [
   {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "wg*"}},
   {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "eth0"}},
   {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 9, "expr": [
   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
              "right": {"range": ["10.0.0.1", "10.0.0.20"]}}},
   {"counter": {"packets": 0, "bytes": 0}}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 10, "expr": [
   {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
   {"accept": null}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 12, "expr": [
   {"jump": {"target": "lab_sub"}}]}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_sub", "handle": 13, "expr": [
   {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "daddr"}},
              "right": {"prefix": {"addr": "fd00:99::", "len": 64}}}},
   {"counter": {"packets": 0, "bytes": 0}}]}},
 {"table": {"family": "ip", "name": "nat", "handle": 2}},
 {"chain": {"family": "ip", "table": "nat", "name": "lab_post", "handle": 1, "type": "nat",
            "hook": "postrouting", "prio": 100, "policy": "accept"}},
 {"chain": {"family": "ip", "table": "nat", "name": "lab_pre", "handle": 2, "type": "nat",
            "hook": "prerouting", "prio": -100, "policy": "accept"}},
 {"rule": {"family": "ip", "table": "nat", "chain": "lab_post", "handle": 3, "expr": [
   {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "eth0"}},
   {"masquerade": null}]}},
 {"rule": {"family": "ip", "table": "nat", "chain": "lab_pre", "handle": 4, "expr": [
   {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}},
   {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
              "right": 80}}, {"dnat": {"addr": "10.0.0.5"}}]}}]})";

// Conntrack state alone bounds nothing: `ct state invalid drop` may drop any packet.
constexpr const char* conntrack_drop = R"({"nftables": [
 {"chain": {"family": "inet", "table": "fw", "name": "lab_forward", "handle": 1,
            "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
 {"rule": {"family": "inet", "table": "fw", "chain": "lab_forward", "handle": 11, "expr": [
   {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "invalid"}},
   {"drop": null}]}}]})";

// Masquerade on every way out, and dnat to an address from a map: nothing bounds the replies.
constexpr const char* unbounded_nat = R"({"nftables": [
 {"chain": {"family": "ip", "table": "nat", "name": "post", "handle": 1, "type": "nat",
            "hook": "postrouting", "prio": 100, "policy": "accept"}},
 {"rule": {"family": "ip", "table": "nat", "chain": "post", "handle": 2,
           "expr": [{"masquerade": null}]}},
 {"chain": {"family": "ip", "table": "nat", "name": "pre", "handle": 3, "type": "nat",
            "hook": "prerouting", "prio": -100, "policy": "accept"}},
 {"rule": {"family": "ip", "table": "nat", "chain": "pre", "handle": 4, "expr": [
   {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}},
   {"dnat": {"addr": {"map": {"key": {"payload": {"protocol": "tcp", "field": "dport"}},
                              "data": "@ports"}}}}]}}]})";

// Only input and output: nothing on the forwarding path.
constexpr const char* host_only = R"({"nftables": [
 {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter",
            "hook": "input", "prio": 0, "policy": "drop"}},
 {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 2,
           "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}},
                               "right": "udp"}}, {"counter": null}]}}]})";

struct Row {
  const char* name;
  const char* json;
  bool readable;
  std::vector<std::string> forward;
  std::vector<std::string> nat;
};

TEST(FirewallDetect, Rows) {
  const Row rows[] = {
      {"empty ruleset", R"({"nftables": [{"metainfo": {"version": "1.0.6"}}]})", true, {}, {}},
      {"Debian default: accept, no rules", debian_default, true, {}, {}},
      {"ufw drops by policy", ufw, true, {"ip6 filter FORWARD"}, {}},
      {"a forward rule", forward_rule, true, {"inet fw fwd"}, {}},
      {"masquerade", masquerade, true, {}, {"ip nat postrouting"}},
      {"empty NAT chain", empty_nat, true, {}, {}},
      {"input and output only", host_only, true, {}, {}},
      {"bounded rules",
       bounded_rules,
       true,
       {"inet fw lab_forward"},
       {"ip nat lab_post", "ip nat lab_pre"}},
      {"not JSON", "table inet filter {", false, {}, {}},
      {"JSON of something else", R"({"routes": []})", false, {}, {}},
  };
  for (const Row& r : rows) {
    auto f = parse_nft_ruleset(r.json);
    EXPECT_EQ(f.readable, r.readable) << r.name;
    EXPECT_EQ(f.forward, r.forward) << r.name;
    EXPECT_EQ(f.nat, r.nat) << r.name;
    EXPECT_EQ(f.concerns_forwarding(), !r.forward.empty() || !r.nat.empty()) << r.name;
  }
}

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

struct ScopeRow {
  std::string rule;
  std::vector<Prefix> sources, destinations;
  std::vector<std::string> in, out;
};

TEST(FirewallDetect, RulesNamingPrefixesOrDevicesAreBoundedByThem) {
  const ScopeRow expected[] = {
      {"inet fw lab_forward handle 4", {}, {P("10.99.0.0/24")}, {}, {}},
      {"inet fw lab_forward handle 6", {P("fd00:97::1/128"), P("fd00:98::/64")}, {}, {}, {}},
      {"inet fw lab_forward handle 7", {P("198.51.100.0/24"), P("203.0.113.7/32")}, {}, {}, {}},
      // the first bounding condition is taken: the other only narrows the rule
      {"inet fw lab_forward handle 8", {}, {}, {"wg*"}, {}},
      // a range is widened to the prefix covering it
      {"inet fw lab_forward handle 9", {P("10.0.0.0/27")}, {}, {}, {}},
      // handle 10 only accepts (ct state established): absent; handle 12 only jumps: its
      // target's rule stands for it
      {"inet fw lab_sub handle 13", {}, {P("fd00:99::/64")}, {}, {}},
      {"ip nat lab_post handle 3", {}, {}, {}, {"eth0"}},
      // dnat: the replies come from the new destination
      {"ip nat lab_pre handle 4", {P("10.0.0.5/32")}, {}, {"eth0"}, {}},
  };
  auto f = parse_nft_ruleset(bounded_rules);
  ASSERT_TRUE(f.readable) << f.error;
  EXPECT_FALSE(f.needs_whole_path());
  ASSERT_EQ(f.rules.size(), std::size(expected));
  for (size_t i = 0; i < f.rules.size(); i++) {
    const auto& got = f.rules[i];
    const auto& want = expected[i];
    EXPECT_EQ(got.rule, want.rule);
    EXPECT_EQ(got.sources, want.sources) << want.rule;
    EXPECT_EQ(got.destinations, want.destinations) << want.rule;
    EXPECT_EQ(got.in_devices, want.in) << want.rule;
    EXPECT_EQ(got.out_devices, want.out) << want.rule;
    EXPECT_EQ(got.any_packet, "") << want.rule;
  }
}

TEST(FirewallDetect, RulesThatCannotBeBoundedConcernAnyPacket) {
  auto ct = parse_nft_ruleset(conntrack_drop);
  ASSERT_EQ(ct.rules.size(), 1u);
  EXPECT_EQ(ct.rules[0].any_packet, "matches only ct state: drop");
  EXPECT_TRUE(ct.needs_whole_path());

  auto nat = parse_nft_ruleset(unbounded_nat);
  ASSERT_EQ(nat.rules.size(), 2u);
  EXPECT_EQ(nat.rules[0].any_packet, "no condition on addresses or devices: masquerade");
  EXPECT_EQ(nat.rules[1].any_packet, "dnat to an address it computes");
  EXPECT_TRUE(nat.needs_whole_path());

  auto ufw_forward = parse_nft_ruleset(ufw);
  EXPECT_EQ(ufw_forward.dropping_chains, std::vector<std::string>{"ip6 filter FORWARD"});
  EXPECT_TRUE(ufw_forward.needs_whole_path());
  auto icmp = parse_nft_ruleset(forward_rule);
  ASSERT_EQ(icmp.rules.size(), 1u);
  EXPECT_EQ(icmp.rules[0].any_packet, "matches only meta l4proto: counter");
}

std::vector<uint32_t> lab_devices(std::string_view pattern) {
  if (pattern == "wg*")
    return {7, 8};
  if (pattern == "eth0")
    return {2};
  return {};
}

TEST(FirewallPlan, BoundedRulesKeepOnlyWhatTheyName) {
  auto kp = plan_kernel_path(parse_nft_ruleset(bounded_rules), {true}, lab_devices);
  EXPECT_TRUE(kp.fast_path);
  std::vector<Prefix> sources, destinations;
  for (const auto& [p, rule] : kp.sources)
    sources.push_back(p);
  for (const auto& [p, rule] : kp.destinations)
    destinations.push_back(p);
  EXPECT_EQ(sources,
            (std::vector<Prefix>{P("fd00:97::1/128"), P("fd00:98::/64"), P("198.51.100.0/24"),
                                 P("203.0.113.7/32"), P("10.0.0.0/27"), P("10.0.0.5/32")}));
  EXPECT_EQ(destinations, (std::vector<Prefix>{P("10.99.0.0/24"), P("fd00:99::/64")}));
  EXPECT_EQ(kp.destinations[0].second, "inet fw lab_forward handle 4");
  EXPECT_EQ(kp.in_ifindexes, (std::set<uint32_t>{2, 7, 8}));
  EXPECT_EQ(kp.out_ifindexes, (std::set<uint32_t>{2}));
}

TEST(FirewallPlan, AnUnboundedRuleTurnsTheFastPathOffUnlessRespectIsOff) {
  EXPECT_FALSE(plan_kernel_path(parse_nft_ruleset(conntrack_drop), {true}, lab_devices).fast_path);
  EXPECT_FALSE(plan_kernel_path(parse_nft_ruleset(ufw), {true}, lab_devices).fast_path);

  auto bypassed = plan_kernel_path(parse_nft_ruleset(bounded_rules), {false}, lab_devices);
  EXPECT_TRUE(bypassed.fast_path);
  EXPECT_TRUE(bypassed.sources.empty() && bypassed.destinations.empty());
  EXPECT_TRUE(bypassed.in_ifindexes.empty() && bypassed.out_ifindexes.empty());
  EXPECT_TRUE(plan_kernel_path(parse_nft_ruleset(conntrack_drop), {false}, lab_devices).fast_path);

  FirewallFindings unreadable;
  unreadable.readable = false;
  EXPECT_TRUE(plan_kernel_path(unreadable, {true}, lab_devices).fast_path);
}

TEST(FirewallPlan, IgnoredChainsAndRulesAreBypassed) {
  // ufw's drop policy and its rule, by chain: the fast path stays on.
  FirewallPolicy ufw_ignored{true, {"ip6 filter FORWARD"}};
  EXPECT_TRUE(plan_kernel_path(parse_nft_ruleset(ufw), ufw_ignored, lab_devices).fast_path);
  // One rule, by its id in the log.
  FirewallPolicy ct_ignored{true, {"inet fw lab_forward handle 11"}};
  EXPECT_TRUE(
      plan_kernel_path(parse_nft_ruleset(conntrack_drop), ct_ignored, lab_devices).fast_path);

  // A hooked chain takes the chains it jumps to along; a regular chain only its own rules.
  auto kp =
      plan_kernel_path(parse_nft_ruleset(bounded_rules), {true, {"inet fw lab_sub"}}, lab_devices);
  ASSERT_EQ(kp.destinations.size(), 1u);
  EXPECT_EQ(kp.destinations[0].first, P("10.99.0.0/24"));
  kp = plan_kernel_path(parse_nft_ruleset(bounded_rules), {true, {"inet fw lab_forward"}},
                        lab_devices);
  EXPECT_TRUE(kp.destinations.empty());
  ASSERT_EQ(kp.sources.size(), 1u);  // the dnat's replies
  EXPECT_EQ(kp.out_ifindexes, (std::set<uint32_t>{2}));
}

TEST(FirewallPlan, TheBlockNamesWhatToIgnore) {
  auto c = config::parse_config_text(
      "protocol device { }\nbpfrouter {\n  firewall ignore \"ip6 filter FORWARD\", \"inet fw fwd "
      "handle 4\";\n}\n");
  EXPECT_EQ(c.fast_path.firewall_ignore,
            (std::vector<std::string>{"ip6 filter FORWARD", "inet fw fwd handle 4"}));
  EXPECT_TRUE(c.fast_path.firewall_respect);
  EXPECT_NE(
      config::dump(c).find("  firewall ignore \"ip6 filter FORWARD\", \"inet fw fwd handle 4\";\n"),
      std::string::npos)
      << config::dump(c);
}

}  // namespace
}  // namespace bpfr::dp
