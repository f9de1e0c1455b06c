// The loaded fast path: the router skeleton with its maps pinned under the pin root, and the
// XDP and tc programs attached to devices through BPF links pinned there too, so forwarding
// outlives the daemon. Loading throws (start-up only); everything after returns a result.
#pragma once

#include <bpfrouter/maps.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/fast_table.h"
#include "dataplane/filters.h"
#include "dataplane/map_writer.h"

struct router_bpf;
struct bpf_map;

namespace bpfr::dp {

struct DataplaneOptions {
  std::string pin_root = "/sys/fs/bpf/bpfrouter";
  uint32_t max_routes_v4 = BPFR_MAX_ROUTES_V4;
  uint32_t max_routes_v6 = BPFR_MAX_ROUTES_V6;
  uint32_t max_nexthops = BPFR_MAX_NEXTHOPS;
  uint32_t slots = BPFR_MAX_SLOTS;
  // `const volatile` tunables of the programs by name, set before load; unknown names are
  // logged and skipped.
  std::map<std::string, uint64_t> tunables;
  // The fast lookup tables in front of the LPM tries (docs/lookup.md), per family.
  bool fast_lookup_v4 = true;
  bool fast_lookup_v6 = true;
  uint32_t fast_v4_groups = BPFR_FIB4_GROUPS;
  uint32_t fast_v6_nodes = BPFR_FIB6_NODES;
};

enum class XdpMode : uint8_t { native, generic };

struct AttachResult {
  bool ok = false;
  bool adopted = false;  // an existing pinned link now runs the new program
  XdpMode mode = XdpMode::native;
  std::string fallback_reason;  // why native mode was refused, when generic was used
  std::string error;
};

struct IfaceSettings {
  uint8_t role = BPFR_ROLE_INTERNAL;
  uint8_t urpf = BPFR_URPF_OFF;
  uint8_t flags = 0;
};

class Dataplane : public MapWriter {
 public:
  // Opens, sizes, loads and pins. Pinned maps of a previous run are reused (their entries
  // stay, so forwarding goes on across a restart); the fast tables are made new and filled
  // from the tries before any program of this load runs. Throws std::runtime_error.
  static std::unique_ptr<Dataplane> load(const DataplaneOptions& options);
  ~Dataplane() override;
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  AttachResult attach_xdp(uint32_t ifindex, const std::string& ifname, XdpMode mode);
  // l3: the device has no Ethernet framing (tc_l3_ingress); else tc_ingress, which takes
  // the XDP program's hand-off to L3 next hops.
  AttachResult attach_tc(uint32_t ifindex, const std::string& ifname, bool l3);
  void detach(uint32_t ifindex);
  // Clean stop: detach every link and remove its pin. Maps stay pinned for readers.
  void detach_all();
  // Clean stop that leaves forwarding running: close our handles, keep the pins.
  void leave_running();
  std::vector<uint32_t> attached_xdp() const;

  bool set_tx_port(uint32_t ifindex);
  bool remove_tx_port(uint32_t ifindex);
  bool set_iface(uint32_t ifindex, const IfaceSettings& s);
  bool remove_iface(uint32_t ifindex);
  std::optional<uint32_t> iface_row(uint32_t ifindex) const;

  bool write_settings(bool enabled, bool no_route_drop, uint32_t stale_after_s);
  // Replaces bogons_*, own_*, the operator lists and the source checks of upstream interfaces
  // (already attached ones too); nothing is reattached. False if a map refused an entry.
  bool write_filters(const FilterTables& t);
  // The block's filters and our originated prefixes from the configuration, and what the
  // host's firewall keeps on the kernel path, logged.
  bool configure_filters(const config::Config& config, const KernelPath& firewall = {});
  bool heartbeat();

  // MapWriter: a route goes to its LPM trie and, when switched on, its fast table.
  bool put_route(const Prefix& p, const bpfr_route_value& v) override;
  bool delete_route(const Prefix& p) override;
  bool put_nexthop(uint32_t id, const bpfr_nexthop& nh) override;
  bool put_slot(uint32_t slot, const bpfr_slot_prefix& row, bool zero_counters) override;

  // Rows of slot_prefixes that a previous run left, to keep counters per prefix.
  std::vector<std::pair<uint32_t, bpfr_slot_prefix>> slot_rows() const;
  // Deletes route entries the daemon no longer has (left by a previous run).
  size_t sweep_routes(const std::function<bool(const Prefix&)>& keep);

  // Counters summed over CPUs.
  bpfr_counter route_counter(uint32_t slot) const;
  bpfr_counter reason_counter(uint32_t reason) const;
  bpfr_iface_counters iface_counter(uint32_t ifindex) const;

  // The fast table of a family, or nullptr when switched off.
  const MultibitTable* fast_table(Family f) const {
    return (f == Family::v4 ? fast_v4_ : fast_v6_).get();
  }
  int xdp_prog_fd() const;

  const std::string& pin_root() const { return pin_root_; }
  int cpus() const { return ncpus_; }
  bool tcx_supported() const { return tcx_ok_; }

 private:
  struct Attachment {
    std::string hook;  // "xdp", "tcx" or "clsact"
    std::string ifname;
    int link_fd = -1;
    std::string pin;
  };

  Dataplane() = default;
  int map_fd(const char* name) const;
  AttachResult attach_link(uint32_t ifindex, const std::string& ifname, const std::string& hook,
                           int prog_fd, uint32_t attach_type, uint32_t flags);
  AttachResult attach_clsact(uint32_t ifindex, const std::string& ifname, int prog_fd);
  bool zero_percpu(const char* map, uint32_t key, size_t value_size);
  bool write_iface(uint32_t ifindex, uint32_t row, const IfaceSettings& s);
  void open_fast_tables(const DataplaneOptions& options);
  size_t fill_fast_table(Family family);
  MultibitTable* writable_fast_table(Family f) {
    return (f == Family::v4 ? fast_v4_ : fast_v6_).get();
  }
  bool write_kernel_out();
  // Makes an LPM trie hold exactly `want` (a std::map of key -> value).
  template <typename Want>
  bool replace_trie(const char* map, const Want& want);

  router_bpf* skel_ = nullptr;
  std::string pin_root_;
  int ncpus_ = 1;
  bool tcx_ok_ = true;
  int devmap_prog_fd_ = -1;
  std::multimap<uint32_t, Attachment> links_;  // by ifindex
  std::map<uint32_t, uint32_t> iface_rows_;    // ifindex -> iface_stats row
  std::map<uint32_t, IfaceSettings> iface_settings_;
  uint8_t upstream_flags_ = BPFR_IFACE_F_BOGON_SRC | BPFR_IFACE_F_SPOOF_OWN;
  uint8_t upstream_bogon_src_ = 0;
  std::set<uint32_t> kernel_in_, kernel_out_;  // ifindexes a firewall rule names
  FilterBuilder filters_;
  std::vector<std::span<uint64_t>> fast_mappings_;
  std::unique_ptr<MultibitTable> fast_v4_;
  std::unique_ptr<MultibitTable> fast_v6_;
};

// Sends libbpf's messages to spdlog (warnings as warnings, the rest as debug).
void route_libbpf_logs();

}  // namespace bpfr::dp
