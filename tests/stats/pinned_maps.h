// The fast path's counter maps, created with the layouts of maps.h and pinned under a private
// directory below /sys/fs/bpf, so stats can be read without loading the programs.
#pragma once

#include <bpf/bpf.h>
#include <bpfrouter/maps.h>

#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::stats::testing {

class PinnedMaps {
 public:
  static constexpr uint32_t kSlots = 64;

  explicit PinnedMaps(const std::string& name);  // /sys/fs/bpf/<name>-<pid>
  ~PinnedMaps();

  const std::string& root() const { return root_; }
  int cpus() const { return cpus_; }

  void slot(uint32_t slot, const Prefix& p, uint8_t state, uint32_t generation, uint64_t since_ns);
  // One counter per CPU: cpu c gets packets[c], bytes[c] (missing CPUs get 0).
  void route_counters(uint32_t slot, std::vector<bpfr_counter> per_cpu);
  void reason_counters(uint32_t reason, std::vector<bpfr_counter> per_cpu);
  void iface(uint32_t ifindex, uint32_t row, uint8_t role,
             std::vector<bpfr_iface_counters> per_cpu);
  void list_entry(bool source, const Prefix& p, uint32_t id, uint8_t action,
                  std::vector<bpfr_counter> per_cpu);

 private:
  int create(const char* name, bpf_map_type type, uint32_t key, uint32_t value, uint32_t max);
  template <class T>
  void write_percpu(int fd, uint32_t key, std::vector<T> per_cpu);

  std::string root_;
  int cpus_ = 0;
  std::vector<std::string> pins_;
  int route_stats_, slot_prefixes_, reason_stats_, iface_stats_, ifaces_, list_stats_;
  int src_v4_, dst_v4_, src_v6_, dst_v6_;
};

}  // namespace bpfr::stats::testing
