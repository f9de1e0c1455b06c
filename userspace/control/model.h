// What the daemon reports through the control socket: plain values it fills for each request,
// which format.h prints as BIRD 2 does or as JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.h"

namespace bpfr::control {

using Time = std::chrono::system_clock::time_point;

struct StatusInfo {
  std::string version;  // as in the greeting: "2.0.12-bpfrouter-0.1.0"
  Address router_id;
  std::string hostname;
  Time now;
  Time boot;
  Time reconfigured;
  std::string state = "Daemon is up and running";  // or "Shutdown in progress", ...
};

// One row of "Route change stats"; nullopt prints as "---".
struct ChangeRow {
  std::optional<uint64_t> received, rejected, filtered, ignored, accepted;
};

struct ChannelInfo {
  std::string name;   // "ipv4", "ipv6"
  std::string state;  // "UP", "DOWN", "START", ...
  std::string table;  // "master4"
  uint32_t preference = 0;
  std::string input_filter = "ACCEPT";  // "ACCEPT", "REJECT" or a filter name
  std::string output_filter = "REJECT";
  // Only printed while the channel is UP.
  uint32_t imported = 0, filtered = 0, exported = 0, preferred = 0;
  ChangeRow import_updates, import_withdraws, export_updates, export_withdraws;
  std::optional<Address> bgp_next_hop;  // "BGP Next hop:" of a BGP channel
};

struct BgpDetails {
  std::string state;  // "Established", "Active", "Idle", "Down", ...
  Address neighbor;
  uint32_t neighbor_as = 0;
  uint32_t local_as = 0;
  std::optional<Address> neighbor_id;
  // Capability lines, nested by two spaces per level: {"Multiprotocol", "  AF announced: ipv4"}.
  std::vector<std::string> local_capabilities, neighbor_capabilities;
  std::optional<std::string> session;  // "external AS4"
  std::optional<Address> source_address;
  std::optional<std::pair<double, uint32_t>> hold_timer;       // remaining s, configured s
  std::optional<std::pair<double, uint32_t>> keepalive_timer;  // remaining s, configured s
  std::optional<std::pair<double, uint32_t>> connect_delay;    // remaining s, configured s
  std::optional<std::string> last_error;
};

struct ProtocolInfo {
  std::string name;
  std::string proto;          // "BGP", "Static", "Device", "Direct", "Kernel"
  std::string table = "---";  // the table of a single-channel protocol, else "---"
  std::string state;          // "up", "start", "stop", "down"
  Time since;
  std::string info;  // BGP: bgp_info(state, error); others mostly empty
  std::string description;
  std::optional<BgpDetails> bgp;
  std::vector<ChannelInfo> channels;
  // Telemetry for metrics and JSON (not printed by BIRD's show protocols).
  uint64_t updates_received = 0, withdraws_received = 0;
};

// BIRD's Info column of a BGP protocol: the state padded to 14, then the last error.
std::string bgp_info(std::string_view state, std::string_view last_error = {});

struct NextHop {
  std::optional<Address> gateway;  // none: "dev IFACE"
  std::string iface;
  uint32_t weight = 1;  // printed only for multipath
};

struct RouteInfo {
  Prefix net;
  std::string table;             // "master4"
  std::string dest = "unicast";  // "unicast", "blackhole", "unreachable", "prohibited"
  std::string protocol;
  Time since;
  std::optional<Address> from;  // BGP neighbour, when it differs from the next hop's gateway
  bool primary = true;
  uint32_t preference = 0;
  std::string info;  // BGP: "[AS64501i]"
  std::vector<NextHop> nexthops;
  std::string type = "static univ";  // "Type:" line of `all`: source and scope
  std::vector<std::pair<std::string, std::string>> attributes;  // {"BGP.origin", "IGP"}
};

// A table's routes in the order they are printed; several routes of one network are adjacent,
// the primary one first.
struct RouteTable {
  std::string name;
  std::vector<RouteInfo> routes;
};

struct RouteCount {
  std::string table;
  uint64_t matched = 0;   // routes the request selected
  uint64_t routes = 0;    // routes in the table
  uint64_t networks = 0;  // networks in the table
};

struct InterfaceAddress {
  Address addr;
  uint8_t len = 0;
  std::vector<std::string> flags = {"Preferred"};
  std::string scope = "univ";  // "univ", "link", "host", "site"
};

struct InterfaceInfo {
  std::string name;
  bool up = true;
  uint32_t index = 0;
  std::vector<std::string> flags;  // "MultiAccess", "Broadcast", "AdminUp", "LinkUp", ...
  uint32_t mtu = 1500;
  std::vector<InterfaceAddress> addresses;
};

}  // namespace bpfr::control
