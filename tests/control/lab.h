// The lab the golden files were captured in (golden/bird.conf with golden/peer.conf as its BGP
// neighbour, 2026-12-03, TZ=UTC), as control-model values.
#pragma once

#include <string>

#include "control/model.h"

namespace bpfr::control::lab {

// 2026-12-03 at the given UTC "HH:MM:SS.mmm".
Time at(const std::string& clock);

StatusInfo status();
std::vector<ProtocolInfo> protocols();
std::vector<RouteTable> tables();
std::vector<InterfaceInfo> interfaces();
Time now();  // when the show commands ran

// The bytes of tests/control/golden/NAME.wire.
std::string golden(const std::string& name);

}  // namespace bpfr::control::lab
