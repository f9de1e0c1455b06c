// The router skeleton loaded for BPF_PROG_TEST_RUN, with helpers to fill its maps and to
// read its per-CPU counters summed over CPUs.
#pragma once

#include <cstdint>
#include <string>

#include "bpf/packet.h"
#include "bpfrouter/maps.h"

struct router_bpf;

namespace bpfr::test {

// The device every row arrives on and, unless it says otherwise, leaves through: test runs
// need a device that exists, and loopback always does.
inline constexpr uint32_t kLo = 1;

struct RunResult {
  int err = 0;  // bpf_prog_test_run_opts() return
  uint32_t verdict = 0;
  Bytes out;   // frame after the program, metadata stripped
  Bytes meta;  // XDP metadata in front of the frame
};

class RouterProgs {
 public:
  RouterProgs();
  ~RouterProgs();
  RouterProgs(const RouterProgs&) = delete;
  RouterProgs& operator=(const RouterProgs&) = delete;

  void set_settings(const bpfr_settings& s);
  void set_iface(uint32_t ifindex, const bpfr_iface& iface);
  void del_iface(uint32_t ifindex);
  void set_nexthop(uint32_t id, const bpfr_nexthop& nh);
  void set_route(const std::string& prefix, const bpfr_route_value& value);
  void set_tx_port(uint32_t ifindex);
  void set_own(const std::string& prefix);
  void set_bogon(const std::string& prefix, uint32_t categories);
  void set_list(bool source, const std::string& prefix, const bpfr_list_entry& entry);
  // A firewall rule's kernel-path entry (kpath_*).
  void set_kpath(bool source, const std::string& prefix, const bpfr_list_entry& entry);

  RunResult run_xdp(const Bytes& frame, uint32_t ifindex = kLo);
  // gso_size: as a GRO batch from WireGuard carries it; 0 for a single packet.
  RunResult run_tc_l3(const Bytes& frame, uint32_t ifindex = kLo, uint32_t gso_size = 0);
  RunResult run_tc_ingress(const Bytes& frame, uint32_t ifindex = kLo);
  // BPF_F_TEST_XDP_LIVE_FRAMES: redirects are transmitted and passes enter the stack of
  // `ifindex`, as if the frame had arrived there `repeat` times.
  int run_xdp_live(const Bytes& frame, uint32_t ifindex, int repeat);

  router_bpf* skel() { return skel_; }

  bpfr_counter reason(uint32_t reason) const;
  bpfr_counter reasons_total() const;
  bpfr_counter slot(uint32_t slot) const;
  bpfr_counter list_entry(uint32_t id) const;
  bpfr_iface_counters iface(uint32_t row) const;

 private:
  RunResult run_skb(int prog_fd, const Bytes& frame, uint32_t ifindex, uint32_t gso_size = 0);
  void set_lpm(int map_fd, const std::string& prefix, const void* value);
  template <typename T>
  T percpu_sum(int map_fd, uint32_t key) const;

  router_bpf* skel_ = nullptr;
  int ncpus_ = 0;
};

}  // namespace bpfr::test
