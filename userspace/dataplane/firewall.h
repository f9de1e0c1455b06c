// The host's firewall, as far as the fast path must respect it. XDP and tc forwarding bypass
// netfilter: forward rules, NAT and conntrack never see fast-path packets. The daemon reads
// `nft -j list ruleset` (iptables-nft and ufw show up there too) and, unless the block says
// `firewall respect off`, keeps on the kernel path the traffic each rule concerns: a rule that
// names source or destination prefixes or devices keeps only those (kpath_* tries, iface
// flags); a rule that could concern any packet (conntrack state, protocol or port alone, a
// drop policy) keeps all forwarding on the kernel path (settings.enabled = 0).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ip.h"

namespace bpfr::dp {

// What one nftables rule concerns. A rule matches the conjunction of its conditions, so one
// condition that names prefixes or devices bounds it; the first such condition is taken.
struct RuleScope {
  std::string rule;        // "inet fw fwd handle 2"
  std::string base_chain;  // the hooked chain it was reached from: "inet fw fwd"
  std::vector<Prefix> sources, destinations;
  std::vector<std::string> in_devices, out_devices;  // names or nft wildcards ("wg*")
  std::string any_packet;  // non-empty: why the rule may concern any forwarded packet

  // "source 10.0.0.0/8, out device eth0", or the reason it concerns any packet.
  std::string describe() const;
};

struct FirewallFindings {
  // "family table chain" of base chains on the forwarding path (prerouting, forward,
  // postrouting, netdev) that have rules or drop by policy, and of NAT chains with rules.
  std::vector<std::string> forward;
  std::vector<std::string> nat;
  // One per rule that does something on the forwarding path, in ruleset order; rules that
  // only accept (or only jump to chains whose rules are listed) change nothing and are absent.
  std::vector<RuleScope> rules;
  // Base chains whose drop policy concerns every packet.
  std::vector<std::string> dropping_chains;
  bool readable = true;  // false: nft missing or its output not understood
  std::string error;

  bool concerns_forwarding() const { return !forward.empty() || !nat.empty(); }
  // Some rule or policy cannot be bounded by prefixes or devices.
  bool needs_whole_path() const;
};

// Reads the JSON of `nft -j list ruleset`; never throws.
FirewallFindings parse_nft_ruleset(std::string_view json);

// Runs `nft -j list ruleset` in the caller's network namespace (bounded to a few seconds).
FirewallFindings read_firewall();

// What the fast path hands to the kernel because of the firewall.
struct KernelPath {
  bool fast_path = true;  // false: every packet to the kernel (settings.enabled = 0)
  std::vector<std::pair<Prefix, std::string>> sources, destinations;  // prefix, rule
  std::set<uint32_t> in_ifindexes, out_ifindexes;
};

// Device names matching an nft interface name or wildcard -> ifindexes.
using DeviceResolver = std::function<std::vector<uint32_t>(std::string_view pattern)>;
std::vector<uint32_t> resolve_devices(std::string_view pattern);  // this namespace's devices

// What the bpfrouter block says: `firewall respect on|off;` and `firewall ignore "ID", ...;`
// where an ID names a rule ("inet fw fwd handle 4"), its chain, or the hooked chain it is
// reached from, as the log lines name them.
struct FirewallPolicy {
  bool respect = true;
  std::vector<std::string> ignore;
};

// Turns findings into what the fast path keeps on the kernel path, logging one line per rule.
// Without `respect` nothing is kept and a warning says the rules are bypassed; ignored rules
// and chains are bypassed with a warning each; an unreadable ruleset keeps nothing either.
KernelPath plan_kernel_path(const FirewallFindings& f, const FirewallPolicy& policy,
                            const DeviceResolver& resolve = resolve_devices);

// read_firewall() then plan_kernel_path().
KernelPath firewall_kernel_path(const FirewallPolicy& policy);

}  // namespace bpfr::dp
