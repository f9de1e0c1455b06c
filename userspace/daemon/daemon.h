// bpfrouterd's parts wired together on one io_context: configuration, netlink, the RIB with
// static, direct and local routes, BGP sessions, the fast path with its map sync, and the control
// socket.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bgp/speaker.h"
#include "config/config.h"
#include "control/model.h"
#include "control/show.h"
#include "dataplane/attach_plan.h"
#include "dataplane/dataplane.h"
#include "dataplane/fib_sync.h"
#include "netlink/netlink.h"
#include "rib/kernel_export.h"
#include "rib/rib.h"
#include "stats/metrics.h"

namespace bpfr::control {
class Registry;
class Server;
}  // namespace bpfr::control

namespace bpfr::daemon {

struct Options {
  std::string config_path;
  std::string socket_path = "/run/bpfrouter/bpfrouter.ctl";
  std::optional<std::string> pin_root;     // overrides the bpfrouter block
  bool graceful_restart_recovery = false;  // -R
  // RFC 8326/9003: the Cease NOTIFICATION of a planned stop carries it to every BGP peer.
  std::string shutdown_message = "bpfrouterd shutting down";  // --shutdown-message
};

class Daemon : public netlink::Listener, public bgp::RouteSink, public rib::FibListener {
 public:
  // Start-up: throws std::runtime_error (or config::ConfigError) with a message for the
  // operator.
  Daemon(asio::io_context& io, Options options, config::Config config);
  ~Daemon() override;

  void start();
  // Clean stop: detaches unless the configuration leaves the fast path running.
  void stop(const std::string& why);
  // Reads the configuration file again; false with the reason when it cannot be used.
  bool reload(std::string* error);

  // netlink::Listener
  void on_link(netlink::Change change, const netlink::Link& link) override;
  void on_address(netlink::Change change, const netlink::InterfaceAddress& addr) override;
  void on_neighbour(netlink::Change change, const netlink::Neighbour& neigh) override;
  void on_route(netlink::Change change, const netlink::KernelRoute& route) override;
  void on_synced() override;

  // bgp::RouteSink: accepted routes of a session into the RIB under the session's protocol.
  void announce(const bgp::PeerInfo& peer, const Prefix& prefix, bgp::AttrsRef attrs,
                const bgp::RouteNextHop& next_hop) override;
  void withdraw(const bgp::PeerInfo& peer, const Prefix& prefix) override;
  void peer_down(const bgp::PeerInfo& peer) override;
  // Back-pressure: sessions stop reading while the kernel is behind on our route changes.
  bool ready() const override;

  // rib::FibListener: best-route changes offered to the BGP sessions' export policies.
  void on_fib_update(const Prefix& prefix, const rib::FibEntry& entry) override;
  void on_fib_withdraw(const Prefix& prefix) override;

 private:
  struct StaticKey {
    rib::ProtoId proto;
    Prefix prefix;
    auto operator<=>(const StaticKey&) const = default;
  };

  rib::ProtoId protocol_id(const std::string& name, rib::Source source);
  void apply_statics();
  void apply_connected(const netlink::InterfaceAddress& addr, bool added);
  void refresh_direct();
  bool direct_covers(const config::DirectProtocol& d, const std::string& ifname,
                     const Prefix& network) const;
  std::optional<rib::RouteSpec> static_spec(const config::StaticRoute& r) const;
  uint32_t ifindex_of(const std::string& name) const;
  // kernel_routes.cpp
  void learn_kernel_route(netlink::Change change, const netlink::KernelRoute& route);
  void sync_kernel_routes();
  const netlink::KernelRoute* kernel_route_to(const Address& address) const;
  bool into_l3_device(const netlink::KernelRoute& route) const;
  std::vector<std::pair<Address, uint32_t>> next_hop_addresses() const;
  std::vector<dp::PathRoute> path_routes() const;
  std::set<uint32_t> next_hop_devices() const;
  std::set<uint32_t> route_devices() const;
  void schedule_replan();
  void replan();
  void after_change();
  void heartbeat();
  void register_commands();
  void add_kernel_exporters();
  void start_bgp();
  void reconfigure_bgp(const config::ConfigDiff& d);
  void register_show_commands();
  std::vector<control::ProtocolInfo> protocol_infos() const;
  std::vector<control::RouteTable> route_tables() const;
  std::vector<control::InterfaceInfo> interface_infos() const;
  std::vector<std::string> protocol_names() const;
  control::ActionResult protocol_action(const std::string& verb, const std::string& name,
                                        const control::Command& cmd);
  uint32_t router_id() const;
  const bgp::PeerInfo* bgp_peer(rib::ProtoId proto) const;
  void export_best(const Prefix& prefix);

  asio::io_context& io_;
  Options options_;
  config::Config config_;
  std::unique_ptr<dp::Dataplane> dataplane_;
  std::unique_ptr<dp::NextHopTable> nexthops_;
  std::unique_ptr<dp::SlotAllocator> slots_;
  std::unique_ptr<dp::FibSync> sync_;
  std::unique_ptr<rib::Rib> rib_;
  std::unique_ptr<netlink::Netlink> netlink_;
  std::vector<std::unique_ptr<rib::KernelExporter>> exporters_;  // one per `protocol kernel`
  std::unique_ptr<control::Registry> registry_;
  std::unique_ptr<control::Server> server_;
  std::unique_ptr<stats::MetricsServer> metrics_;  // the bpfrouter block's `metrics`
  asio::steady_timer heartbeat_timer_;
  bool replan_pending_ = false;
  bool synced_ = false;
  bool stopped_ = false;

  std::map<std::string, rib::ProtoId> protocols_;
  rib::ProtoId local_proto_ = 0;
  rib::ProtoId kernel_proto_ = 0;  // the kernel's routes the RIB takes (sync_kernel_routes)
  // The kernel's routes of its main table but ours and its connected ones, by prefix and metric.
  std::map<std::pair<Prefix, uint32_t>, netlink::KernelRoute> kernel_routes_;
  std::map<Prefix, rib::RouteSpec> kernel_in_rib_;  // what kernel_proto_ has in the RIB
  std::map<StaticKey, rib::RouteSpec> statics_;  // what the RIB has from static protocols
  using DirectKey = std::tuple<rib::ProtoId, Prefix, uint32_t>;  // protocol, network, ifindex
  std::set<DirectKey> direct_;
  std::map<uint32_t, netlink::Link> links_;
  std::vector<netlink::InterfaceAddress> addresses_;
  std::map<uint32_t, dp::Attach> attached_;
  std::map<rib::ProtoId, const bgp::Session*> bgp_sessions_;
  control::Time boot_ = std::chrono::system_clock::now();
  control::Time reconfigured_ = boot_;
  std::unique_ptr<bgp::Speaker> speaker_;  // last: its sessions call back into the RIB
};

}  // namespace bpfr::daemon
