// The BGP decision process of RFC 4271 9.1.2, as a comparator the RIB applies between BGP
// routes of one prefix (preference between protocols is the RIB's own business).
#pragma once

#include "bgp/attributes.h"
#include "bgp/peer.h"

namespace bpfr::bgp {

struct Candidate {
  const PathAttributes* attrs = nullptr;
  const PeerInfo* peer = nullptr;  // the session the route came from
};

// Which rule decided a comparison, for `show route all` and for tests.
enum class Reason : uint8_t {
  equal,
  local_pref,      // 9.1.1: higher LOCAL_PREF (100 when absent)
  as_path_length,  // 9.1.2.2 a: shorter AS_PATH
  origin,          // b: lower ORIGIN
  med,             // c: lower MED, only between routes from the same neighbour AS (absent MED is 0)
  external,        // d: eBGP over iBGP
  router_id,       // f: lower BGP identifier (ORIGINATOR_ID when reflected)
  peer_address,    // g: lower peer address
};

struct Comparison {
  int order = 0;  // < 0: a is better, > 0: b is better
  Reason reason = Reason::equal;
};

// e (interior cost to the next hop) is skipped: every next hop counts the same.
Comparison compare_routes(const Candidate& a, const Candidate& b);

inline bool better(const Candidate& a, const Candidate& b) {
  return compare_routes(a, b).order < 0;
}

}  // namespace bpfr::bgp
