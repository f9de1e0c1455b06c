// Feeds the kernel's state into the RIB: connected networks from interface addresses (for
// next-hop resolution), `protocol direct` routes, local addresses, and routes learned from a
// kernel table (`protocol kernel` with `learn`).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netlink.h"
#include "rib/rib.h"

namespace bpfr::rib {

struct KernelSyncOptions {
  // `protocol direct`: device routes for the connected networks of matching interfaces.
  std::optional<ProtoId> direct;
  std::function<bool(const netlink::Link&)> direct_interfaces;  // empty: every interface
  // Local addresses as RouteKind::local host routes, so the fast path delivers them.
  std::optional<ProtoId> local;
  // Routes of this kernel table, other than ours and the kernel's own connected ones.
  std::optional<ProtoId> learn;
  uint32_t learn_table = 254;
  uint8_t own_protocol = netlink::rtprot_bpfrouter;
};

class KernelSync : public netlink::Listener {
 public:
  KernelSync(Rib& rib, KernelSyncOptions options);

  void on_link(netlink::Change change, const netlink::Link& link) override;
  void on_address(netlink::Change change, const netlink::InterfaceAddress& address) override;
  void on_route(netlink::Change change, const netlink::KernelRoute& route) override;

  const netlink::Link* link(uint32_t ifindex) const;
  const netlink::Link* link(std::string_view name) const;

  // The route a kernel route becomes in the RIB, or nullopt if it is not learned.
  static std::optional<RouteSpec> learned_route(const netlink::KernelRoute& route,
                                                const KernelSyncOptions& options);

 private:
  struct Interface {
    netlink::Link link;
    bool applied = false;  // its addresses are in the RIB (the link is up)
    std::vector<netlink::InterfaceAddress> addresses;
  };

  void apply(Interface& i, const netlink::InterfaceAddress& a, bool add);
  void apply_all(Interface& i, bool add);

  Rib& rib_;
  KernelSyncOptions options_;
  std::map<uint32_t, Interface> interfaces_;
};

}  // namespace bpfr::rib
