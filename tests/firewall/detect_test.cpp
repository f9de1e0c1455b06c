// `nft -j list ruleset` output (trimmed from nft 1.0.6 on Debian 12, handles kept) and what
// the daemon concludes from it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace bpfr::dp
