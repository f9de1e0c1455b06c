// `protocol kernel`: copies the RIB's chosen routes into a kernel routing table over netlink,
// so the kernel's slow path agrees with the fast path. Attached to the Rib as a FIB listener.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "netlink/message.h"
#include "rib/fib.h"

namespace bpfr::netlink {
class Netlink;
}

namespace bpfr::rib {

// What an export filter set for one route: BIRD's `krt_prefsrc` and `krt_metric`.
struct KernelAttrs {
  std::optional<Address> prefsrc;
  std::optional<uint32_t> metric;
};

struct KernelExportOptions {
  std::string name = "kernel1";       // the protocol's name, for logs
  uint32_t table = 254;               // `kernel table N`; 254 is main
  uint32_t metric = 32;               // `krt_metric`, BIRD's default metric for kernel routes
  std::optional<Address> prefsrc_v4;  // `krt_prefsrc`
  std::optional<Address> prefsrc_v6;
  bool persist = false;  // `persist`: leave the routes in the kernel on shutdown
  uint8_t protocol = netlink::rtprot_bpfrouter;
  // The channel's export filter: false keeps the entry out of the kernel; it may set the
  // route's `krt_prefsrc` and `krt_metric`, which win over the options above. Empty exports
  // everything exportable.
  std::function<bool(const FibEntry&, KernelAttrs&)> accept;
};

// Sends one route change to the kernel. Production code uses netlink_writer(); tests record.
using RouteWriter = std::function<void(netlink::RouteOp, const netlink::KernelRoute&)>;

// A writer over the daemon's netlink connection that logs refusals with the route.
RouteWriter netlink_writer(netlink::Netlink& nl, std::string protocol_name);

class KernelExporter : public FibListener {
 public:
  KernelExporter(RouteWriter writer, KernelExportOptions options);

  void on_fib_update(const Prefix& prefix, const FibEntry& entry) override;
  void on_fib_withdraw(const Prefix& prefix) override;

  // Routes of our protocol number found in the table at start-up (from the netlink dump) are
  // remembered; prune() then removes those the RIB did not choose, as a previous run may have
  // left them (persist, or a crash).
  void on_kernel_route(netlink::Change change, const netlink::KernelRoute& route);
  void prune();

  // On shutdown: remove everything exported, unless persist is set.
  void shutdown();

  // The kernel route an entry becomes, or nullopt when it is not exported: local addresses,
  // direct and kernel routes (the kernel has them already), and kernel hand-offs.
  static std::optional<netlink::KernelRoute> to_kernel(const FibEntry& entry,
                                                       const KernelExportOptions& options,
                                                       const KernelAttrs& attrs = {});

  size_t installed() const { return installed_.size(); }

 private:
  void remove(const Prefix& prefix, uint32_t metric);

  RouteWriter writer_;
  KernelExportOptions options_;
  // Prefix -> the metric it was installed with: the kernel tells routes apart by it.
  std::unordered_map<Prefix, uint32_t, PrefixHash> installed_;
  std::unordered_map<Prefix, uint32_t, PrefixHash> found_;  // ours in the kernel at start-up
};

}  // namespace bpfr::rib
