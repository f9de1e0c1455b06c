#include "dataplane/encode.h"

#include <algorithm>
#include <cstring>

namespace bpfr::dp {

bpfr_route_key_v4 encode_key_v4(const Prefix& p) {
  bpfr_route_key_v4 k{};
  k.prefixlen = p.len;
  std::copy_n(p.addr.bytes.begin(), 4, k.addr);
  return k;
}

bpfr_route_key_v6 encode_key_v6(const Prefix& p) {
  bpfr_route_key_v6 k{};
  k.prefixlen = p.len;
  std::copy_n(p.addr.bytes.begin(), 16, k.addr);
  return k;
}

Prefix decode_key_v4(const bpfr_route_key_v4& k) {
  return Prefix::make(Address::from_bytes(Family::v4, k.addr), k.prefixlen);
}

Prefix decode_key_v6(const bpfr_route_key_v6& k) {
  return Prefix::make(Address::from_bytes(Family::v6, k.addr), k.prefixlen);
}

bpfr_route_value encode_route(bpfr_route_action action, uint32_t nexthop, uint32_t slot,
                              uint8_t flags) {
  bpfr_route_value v{};
  v.nexthop = action == BPFR_ROUTE_FORWARD ? nexthop : BPFR_NEXTHOP_NONE;
  v.slot = slot;
  v.action = action;
  v.flags = flags;
  return v;
}

bpfr_nexthop encode_nexthop(const NextHopFacts& f) {
  bpfr_nexthop n{};
  if (!f.valid)
    return n;
  n.ifindex = f.ifindex;
  n.mtu = f.mtu;
  n.kind = f.kind;
  n.flags = BPFR_NH_F_VALID;
  if (f.kind == BPFR_NH_ETHERNET && f.mac_known) {
    n.flags |= BPFR_NH_F_MAC;
    std::copy(f.dmac.begin(), f.dmac.end(), n.dmac);
  }
  std::copy(f.smac.begin(), f.smac.end(), n.smac);
  n.vlan_id = f.vlan_id;
  return n;
}

bpfr_slot_prefix encode_slot(const Prefix& p, uint8_t state, uint32_t generation,
                             uint64_t since_ns) {
  bpfr_slot_prefix s{};
  s.family = p.addr.is_v4() ? 4 : 6;
  s.prefixlen = p.len;
  s.state = state;
  s.generation = generation;
  std::copy_n(p.addr.bytes.begin(), p.addr.size(), s.addr);
  s.since_ns = since_ns;
  return s;
}

bpfr_slot_prefix encode_free_slot() {
  return bpfr_slot_prefix{};
}

}  // namespace bpfr::dp
