// What the next-hop table needs to know of a device, from its netlink link message and the
// `bpfrouter` block. The kind decides the next hops into it: dummy (IFLA_INFO_KIND "dummy")
// makes them blackholes dropped in XDP, a device without a MAC (WireGuard, TUN) L3 next hops
// forwarded through tc, anything else Ethernet next hops that need the gateway's MAC.
#pragma once

#include "config/config.h"
#include "dataplane/nexthops.h"
#include "netlink/types.h"

namespace bpfr::dp {

// configured: the block's entry for the device, or nullptr; its `kind` overrides the device's.
LinkFacts link_facts(const netlink::Link& link, const config::FastPathInterface* configured);

}  // namespace bpfr::dp
