// Three namespaces (source, router, destination) over veth pairs, kernel forwarding on in the
// router, and bpfrouterd running in the router on a generated configuration with its own pin
// root. Everything is removed on destruction, also when a test fails half way.
//
//   source  s0 ---- r0  router  r1 ---- d0  destination
//   10.98.0.1 (lo)  10.1.0.0/24        10.2.0.0/24  10.99.0.1 (lo)
//   fd00:98::1 (lo) fd00:1::/64        fd00:2::/64  fd00:99::1 (lo)
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/ip.h"
#include "lab/lab.h"

namespace bpfr::integration {

using namespace std::chrono_literals;

// The static routes the tests give the daemon.
inline constexpr const char* route_dst_v6 = "fd00:99::/64";
inline constexpr const char* route_dst_v4 = "10.99.0.0/24";
inline constexpr const char* route_src_v6 = "fd00:98::/64";
inline constexpr const char* route_src_v4 = "10.98.0.0/24";

// Reads the daemon's pinned maps from the test process, as `bpfrouter stats` would.
class PinnedMaps {
 public:
  explicit PinnedMaps(std::filesystem::path root) : root_(std::move(root)) {}

  bool has_route(const Prefix& p) const;
  std::optional<uint32_t> slot_of(const Prefix& p) const;  // a LIVE or WITHDRAWN slot row
  uint8_t slot_state(uint32_t slot) const;
  bpfr_counter route_counter(const Prefix& p) const;
  bpfr_counter reason_counter(uint32_t reason) const;
  bpfr_iface_counters iface_counter(uint32_t ifindex) const;
  // Every valid next hop carries its MAC, and there are at least `count`.
  bool next_hops_resolved(unsigned count) const;

 private:
  int open(const char* map) const;  // caller closes
  std::filesystem::path root_;
};

// What the generated configuration says.
struct LabConfig {
  bool dst_v6 = true;  // route fd00:99::/64
  bool dst_v4 = true;  // route 10.99.0.0/24
  bool leave_running = false;
  bool kernel = false;  // protocol kernel exporting everything, for both families
  std::string block;    // more statements for the bpfrouter block
  std::string log_file;  // also `log "FILE" all;`
};

class RouterLab {
 public:
  RouterLab();
  ~RouterLab();

  // (Re)writes the configuration.
  void write_config(const LabConfig& c = {});
  // Starts bpfrouterd and waits until it attached to r0 and r1 and resolved its next hops.
  void start_daemon();
  void stop_daemon();
  void kill_daemon();  // SIGKILL: no clean-up at all
  void reload();       // SIGHUP
  std::string daemon_log() const;

  lab::Netns& src() { return *src_; }
  lab::Netns& rtr() { return *rtr_; }
  lab::Netns& dst() { return *dst_; }
  lab::Sink& dst_sink() { return *dst_sink_; }
  const PinnedMaps& maps() const { return maps_; }
  const std::filesystem::path& pin_root() const { return pin_root_; }
  std::filesystem::path control_socket() const { return *dir_ / "bpfrouter.ctl"; }
  std::string r0_mac() const { return rtr_->mac("r0"); }
  int r1_ifindex() const { return rtr_->ifindex("r1"); }

 private:
  std::unique_ptr<lab::Netns> src_, rtr_, dst_;
  std::unique_ptr<lab::Veth> left_, right_;
  std::unique_ptr<lab::Sink> src_sink_, dst_sink_;
  std::unique_ptr<lab::TempDir> dir_;
  std::filesystem::path pin_root_;
  PinnedMaps maps_;
  std::unique_ptr<lab::Process> daemon_;
};

}  // namespace bpfr::integration
