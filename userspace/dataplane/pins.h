// Where the pinned maps and links live under the pin root, for the daemon and for readers
// (`bpfrouter stats` while the daemon is down).
#pragma once

#include <string>
#include <string_view>

namespace bpfr::dp {

inline constexpr std::string_view default_pin_root = "/sys/fs/bpf/bpfrouter";
// Pinned maps carry the version of the layout in maps.h; a layout change bumps it.
inline constexpr std::string_view map_layout_suffix = "_v1";

// "<root>/route_stats_v1"
inline std::string map_pin_path(std::string_view root, std::string_view map) {
  return std::string(root) + "/" + std::string(map) + std::string(map_layout_suffix);
}

// "<root>/links/xdp_eth0", "<root>/links/tcx_wg0"
inline std::string link_pin_path(std::string_view root, std::string_view hook,
                                 std::string_view ifname) {
  return std::string(root) + "/links/" + std::string(hook) + "_" + std::string(ifname);
}

}  // namespace bpfr::dp
