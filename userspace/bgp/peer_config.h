// From the BIRD-compatible configuration to sessions: a `protocol bgp` block becomes a
// PeerConfig, and its channels' `import`/`export` filters become Policies that run the
// configuration's filter evaluator on a FilterRoute view of the BGP route.
#pragma once

#include "bgp/peer.h"
#include "config/config.h"
#include "config/filter_route.h"

namespace bpfr::bgp {

PeerConfig peer_config(const config::BgpProtocol& p);
Policy policy(const config::Policy& p);

// The route as a filter sees it, and the filter's changes carried back.
filter::FilterRoute to_filter_route(const PolicyRoute& r);
void apply_filter_route(const filter::FilterRoute& f, PolicyRoute& r);

}  // namespace bpfr::bgp
