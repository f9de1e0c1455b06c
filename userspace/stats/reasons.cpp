#include "stats/reasons.h"

#include <array>

namespace bpfr::stats {

namespace {

struct ReasonRow {
  uint32_t reason;
  std::string_view name;
  Action action;
};

constexpr std::array kReasons = {
    ReasonRow{BPFR_FORWARD_XDP, "forward_xdp", Action::forward},
    ReasonRow{BPFR_FORWARD_TC, "forward_tc", Action::forward},
    ReasonRow{BPFR_PASS_LOCAL, "pass_local", Action::pass},
    ReasonRow{BPFR_PASS_TTL, "pass_ttl", Action::pass},
    ReasonRow{BPFR_PASS_MTU, "pass_mtu", Action::pass},
    ReasonRow{BPFR_PASS_NO_NEIGH, "pass_no_neigh", Action::pass},
    ReasonRow{BPFR_PASS_LINK_LOCAL, "pass_link_local", Action::pass},
    ReasonRow{BPFR_PASS_CONTROL, "pass_control", Action::pass},
    ReasonRow{BPFR_PASS_EXT_HDR, "pass_ext_hdr", Action::pass},
    ReasonRow{BPFR_PASS_NO_ROUTE, "pass_no_route", Action::pass},
    ReasonRow{BPFR_PASS_MALFORMED, "pass_malformed", Action::pass},
    ReasonRow{BPFR_PASS_UNREACHABLE, "pass_unreachable", Action::pass},
    ReasonRow{BPFR_PASS_KERNEL_ROUTE, "pass_kernel_route", Action::pass},
    ReasonRow{BPFR_PASS_STALE, "pass_stale", Action::pass},
    ReasonRow{BPFR_PASS_NO_TX, "pass_no_tx", Action::pass},
    ReasonRow{BPFR_PASS_IP_OPTIONS, "pass_ip_options", Action::pass},
    ReasonRow{BPFR_DROP_BLACKHOLE, "drop_blackhole", Action::drop},
    ReasonRow{BPFR_DROP_NO_ROUTE, "drop_no_route", Action::drop},
    ReasonRow{BPFR_DROP_BOGON_SRC, "drop_bogon_src", Action::drop},
    ReasonRow{BPFR_DROP_SPOOFED, "drop_spoofed", Action::drop},
    ReasonRow{BPFR_DROP_URPF, "drop_urpf", Action::drop},
    ReasonRow{BPFR_DROP_SRC_LIST, "drop_src_list", Action::drop},
    ReasonRow{BPFR_DROP_DST_LIST, "drop_dst_list", Action::drop},
    ReasonRow{BPFR_DROP_DUMMY, "drop_dummy", Action::drop},
    ReasonRow{BPFR_DROP_BOGON_DST, "drop_bogon_dst", Action::drop},
    ReasonRow{BPFR_PASS_DISABLED, "pass_disabled", Action::pass},
    ReasonRow{BPFR_PASS_NO_IFACE, "pass_no_iface", Action::pass},
    ReasonRow{BPFR_PASS_FIREWALL, "pass_firewall", Action::pass},
};

}  // namespace

std::string_view action_name(Action a) {
  switch (a) {
    case Action::forward:
      return "forward";
    case Action::pass:
      return "pass";
    case Action::drop:
      return "drop";
  }
  return "?";
}

std::optional<std::string_view> reason_name(uint32_t reason) {
  for (const auto& r : kReasons)
    if (r.reason == reason)
      return r.name;
  return std::nullopt;
}

Action reason_action(uint32_t reason) {
  for (const auto& r : kReasons)
    if (r.reason == reason)
      return r.action;
  return Action::pass;  // an index this build does not know: the kernel got the packet
}

}  // namespace bpfr::stats
