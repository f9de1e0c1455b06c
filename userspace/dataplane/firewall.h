// The host's firewall, as far as the fast path must respect it. XDP and tc forwarding bypass
// netfilter: forward rules, NAT and conntrack never see fast-path packets. The daemon reads
// `nft -j list ruleset` (iptables-nft and ufw show up there too) and, unless the block says
// `firewall respect off`, keeps all forwarded traffic on the kernel path while a forward or
// NAT rule exists (settings.enabled = 0: every packet is passed as BPFR_PASS_DISABLED).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bpfr::dp {

struct FirewallFindings {
  // "family table chain" of base chains at the forward hook that have rules or drop by
  // policy, and of NAT chains that have rules.
  std::vector<std::string> forward;
  std::vector<std::string> nat;
  bool readable = true;  // false: nft missing or its output not understood
  std::string error;

  bool concerns_forwarding() const { return !forward.empty() || !nat.empty(); }
};

// Reads the JSON of `nft -j list ruleset`; never throws.
FirewallFindings parse_nft_ruleset(std::string_view json);

// Runs `nft -j list ruleset` in the caller's network namespace (bounded to a few seconds).
FirewallFindings read_firewall();

// Whether forwarding may take the fast path: reads the firewall and logs what it found. With
// `respect` (the block's `firewall respect on`, the default) a forward or NAT rule keeps it
// off; an unreadable ruleset (no nft) does not.
bool firewall_allows_fast_path(bool respect);

}  // namespace bpfr::dp
