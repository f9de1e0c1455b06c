// The namespace lab of the reliability tests: the shape of tests/integration's RouterLab
// (source, router, destination over veth pairs, kernel routes in the router so traffic still
// arrives when the fast path lets go), with the configuration, the daemon's flags and its
// control socket in the test's hands. Everything is removed on destruction.
//
//   source  s0 ---- r0  router  r1 ---- d0  destination
//   10.98.0.1 (lo)  10.1.0.0/24        10.2.0.0/24  10.99.0.1 (lo)
#pragma once

#include <bpfrouter/maps.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/ip.h"
#include "integration/router_lab.h"
#include "lab/lab.h"

namespace bpfr::reliability {

using namespace std::chrono_literals;

// Static routes every configuration carries, through the destination.
inline constexpr const char* static_dst_v4 = "10.99.0.0/24";
inline constexpr const char* static_src_v4 = "10.98.0.0/24";

struct LabConfig {
  std::string protocols;       // more protocol blocks
  std::string fast_path;       // more lines in the bpfrouter block
  std::vector<std::string> daemon_args;  // more flags for bpfrouterd
};

class ReliabilityLab {
 public:
  ReliabilityLab();
  ~ReliabilityLab();

  void write_config(const LabConfig& c);
  // Starts bpfrouterd and waits until it attached to r0 and r1 and resolved its next hops.
  void start_daemon();
  // SIGKILL: nothing cleaned up.
  void kill_daemon();
  // Waits for the daemon to exit on its own (after `down` or a signal); false on timeout.
  bool wait_daemon_exit(lab::Duration timeout);
  void signal_daemon(int sig);
  pid_t daemon_pid() const;
  std::string daemon_log() const;
  // `bpfrouter -s SOCKET ARGS...`
  lab::Result client(std::vector<std::string> args) const;

  // Whether the pinned XDP link of a router device exists, and whether the device has any XDP
  // program attached (from `ip link`).
  bool link_pinned(const std::string& dev) const;
  bool xdp_attached(const std::string& dev) const;
  // The id of the XDP program a router device runs, 0 if none.
  uint32_t xdp_program(const std::string& dev) const;
  // Frames from s0 to random addresses in `destination`, at `pps`, `count` of them; what the
  // generator sent.
  uint64_t send(const char* destination, uint64_t count, uint64_t pps, uint32_t stream);

  lab::Netns& src() { return *src_; }
  lab::Netns& rtr() { return *rtr_; }
  lab::Netns& dst() { return *dst_; }
  lab::Sink& dst_sink() { return *dst_sink_; }
  const integration::PinnedMaps& maps() const { return maps_; }
  const std::filesystem::path& pin_root() const { return pin_root_; }
  std::filesystem::path socket() const { return *dir_ / "bpfrouter.ctl"; }
  const lab::TempDir& dir() const { return *dir_; }
  std::string r0_mac() const { return rtr_->mac("r0"); }

 private:
  std::unique_ptr<lab::Netns> src_, rtr_, dst_;
  std::unique_ptr<lab::Veth> left_, right_;
  std::unique_ptr<lab::Sink> src_sink_, dst_sink_;
  std::unique_ptr<lab::TempDir> dir_;
  std::filesystem::path pin_root_;
  integration::PinnedMaps maps_;
  LabConfig config_;
  std::unique_ptr<lab::Process> daemon_;
};

// The kernel's forwarding counter in a namespace, IPv4.
inline uint64_t kernel_forwarded(const lab::Netns& ns) {
  return ns.counter("Ip.ForwDatagrams");
}

}  // namespace bpfr::reliability
