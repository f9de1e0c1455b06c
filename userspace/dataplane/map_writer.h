// Where the route, next-hop and slot entries go: the BPF maps (Dataplane), or a fake in tests.
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>

#include "common/ip.h"

namespace bpfr::dp {

class MapWriter {
 public:
  virtual ~MapWriter() = default;
  // Each returns false on failure; the caller logs and keeps going.
  virtual bool put_route(const Prefix& p, const bpfr_route_value& v) = 0;
  virtual bool delete_route(const Prefix& p) = 0;
  virtual bool put_nexthop(uint32_t id, const bpfr_nexthop& nh) = 0;
  // zero_counters: the slot now counts another prefix, so its per-CPU counters restart at 0.
  virtual bool put_slot(uint32_t slot, const bpfr_slot_prefix& row, bool zero_counters) = 0;
};

}  // namespace bpfr::dp
