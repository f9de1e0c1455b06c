// The configuration the daemon runs with: what a BIRD 2 bird.conf says, plus the `bpfrouter`
// block for the fast path. parse_config() (parser.h) builds it; every setting has its default
// already filled in, so consumers never look for "unset".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::filter {
struct Filter;  // filter.h: a compiled filter, run with filter::run()
}

namespace bpfr::config {

// Where a statement came from, for messages: "file:line:column".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool operator==(const SourceLocation&) const = default;
};

// ---- log --------------------------------------------------------------------------------

// BIRD's message classes; `all` is every bit.
enum LogClass : uint32_t {
  log_debug = 1 << 0,
  log_trace = 1 << 1,
  log_info = 1 << 2,
  log_remote = 1 << 3,
  log_warning = 1 << 4,
  log_error = 1 << 5,
  log_auth = 1 << 6,
  log_fatal = 1 << 7,
  log_bug = 1 << 8,
  log_all = (1 << 9) - 1,
};

// `log syslog [name "x"] CLASSES;`, `log stderr CLASSES;`, `log "FILE" [SIZE "BACKUP"] CLASSES;`
struct LogTarget {
  enum class Kind : uint8_t { syslog, stderr_, file };
  Kind kind = Kind::stderr_;
  std::string path;         // file
  std::string syslog_name;  // syslog; empty: "bird"'s default, the program name
  uint64_t size_limit = 0;  // file: rotate to backup_path past this size; 0: no limit
  std::string backup_path;
  uint32_t classes = log_all;  // LogClass bits

  bool operator==(const LogTarget&) const = default;
};

// ---- channels and protocols -------------------------------------------------------------

// What a channel imports or exports: all, none, or what a filter accepts. A named filter,
// `filter { ... }` and `where EXPR` all end up as `filter`; filter_name is empty for the
// inline forms.
struct Policy {
  enum class Kind : uint8_t { all, none, filter };
  Kind kind = Kind::all;
  std::shared_ptr<const filter::Filter> filter;
  std::string filter_name;
  std::string text;  // the filter's source text, compared on reload

  bool operator==(const Policy& o) const {
    return kind == o.kind && filter_name == o.filter_name && text == o.text;
  }
};

// `import limit N action warn|block|restart|disable;` (and receive/export limits)
struct Limit {
  enum class Action : uint8_t { warn, block, restart, disable };
  uint32_t max = 0;
  Action action = Action::disable;

  bool operator==(const Limit&) const = default;
};

// `ipv4 { ... }` or `ipv6 { ... }` inside a protocol.
struct Channel {
  Family family = Family::v6;
  std::string table;  // "master4" / "master6" unless `table NAME`
  Policy import_policy;
  Policy export_policy{Policy::Kind::none};
  std::optional<Limit> import_limit;
  std::optional<Limit> receive_limit;
  std::optional<Limit> export_limit;
  uint32_t preference = 0;  // 0: the protocol's default

  // BGP channels
  bool next_hop_self = false;
  bool next_hop_keep = false;
  std::optional<Address> next_hop_address;
  bool import_table = false;  // keep an Adj-RIB-In, so filter changes need no route refresh
  bool extended_next_hop = false;
  bool add_paths_rx = false;
  bool add_paths_tx = false;
  bool gateway_recursive = false;  // `gateway recursive|direct`; default: direct for EBGP
  bool gateway_set = false;

  bool operator==(const Channel&) const = default;
};

// `interface "eth*", -"eth1", "dummy*" 2001:db8::/32;` one entry per item.
struct InterfacePattern {
  bool negative = false;
  std::string glob;             // shell-style: * and ?
  std::optional<Prefix> range;  // only interfaces with an address inside it

  bool operator==(const InterfacePattern&) const = default;
};

// What every protocol has.
struct ProtocolCommon {
  std::string name;  // given, or BIRD's default: "static1", "bgp2", ...
  std::string from_template;
  std::string description;
  bool disabled = false;
  std::string vrf;
  std::vector<Channel> channels;  // at most one per family
  SourceLocation where;

  const Channel* channel(Family f) const {
    for (auto& c : channels)
      if (c.family == f)
        return &c;
    return nullptr;
  }
  bool operator==(const ProtocolCommon& o) const {
    return name == o.name && description == o.description && disabled == o.disabled &&
           vrf == o.vrf && channels == o.channels;
  }
};

struct DeviceProtocol : ProtocolCommon {
  uint32_t scan_time = 60;  // seconds
  std::vector<InterfacePattern> interfaces;

  bool operator==(const DeviceProtocol&) const = default;
};

struct DirectProtocol : ProtocolCommon {
  std::vector<InterfacePattern> interfaces;  // empty: all interfaces
  bool check_link = false;

  bool operator==(const DirectProtocol&) const = default;
};

// `route P via ADDR[%IFNAME] [onlink] [weight N];`, `route P via "IFNAME";`,
// `route P blackhole|unreachable|prohibit;`, `route P via A1 via A2;` (multipath),
// optionally followed by `{ attribute settings }`, kept as a filter run on the route.
struct StaticRoute {
  enum class Kind : uint8_t { via, interface, blackhole, unreachable, prohibit };
  struct NextHop {
    Address via;
    std::string interface;  // `via fe80::1%eth0`; empty: resolved
    bool onlink = false;
    uint32_t weight = 1;

    bool operator==(const NextHop&) const = default;
  };
  Prefix prefix;
  Kind kind = Kind::via;
  std::vector<NextHop> next_hops;  // Kind::via: one, or several for multipath
  std::string interface;           // Kind::interface
  std::shared_ptr<const filter::Filter> attributes;  // `{ bgp_med = 10; }`; may be null
  std::string attributes_text;
  SourceLocation where;

  bool operator==(const StaticRoute& o) const {
    return prefix == o.prefix && kind == o.kind && next_hops == o.next_hops &&
           interface == o.interface && attributes_text == o.attributes_text;
  }
};

struct StaticProtocol : ProtocolCommon {
  std::vector<StaticRoute> routes;
  bool check_link = false;

  bool operator==(const StaticProtocol&) const = default;
};

// protocol kernel: the routes it exports go to the kernel's FIB over netlink.
struct KernelProtocol : ProtocolCommon {
  uint32_t scan_time = 60;      // seconds
  bool learn = false;           // import routes others put in the kernel table
  bool persist = false;         // leave our routes in the kernel when stopping
  uint32_t kernel_table = 254;  // RT_TABLE_MAIN
  uint32_t metric = 32;         // default route metric; krt_metric overrides
  bool merge_paths = false;     // ECMP routes as one multipath route
  uint32_t merge_paths_limit = 16;
  bool graceful_restart = false;

  bool operator==(const KernelProtocol&) const = default;
};

struct BgpProtocol : ProtocolCommon {
  std::optional<Address> local_address;  // `local [ADDR] as N`
  uint32_t local_as = 0;
  std::optional<Address> neighbor_address;
  uint16_t neighbor_port = 179;
  uint32_t neighbor_as = 0;
  std::string interface;  // `interface "x"` or the %x of a link-local neighbor
  std::optional<Address> source_address;
  std::optional<uint32_t> multihop;  // TTL; nullopt: directly connected (`direct`, EBGP default)
  std::string password;              // TCP MD5 (RFC 2385)
  bool passive = false;
  bool ttl_security = false;  // RFC 5082 GTSM
  uint32_t hold_time = 240;
  uint32_t startup_hold_time = 240;
  uint32_t keepalive_time = 0;  // 0: hold time / 3
  uint32_t connect_retry_time = 120;
  uint32_t connect_delay_time = 5;
  uint32_t error_wait_time_min = 60;
  uint32_t error_wait_time_max = 300;
  enum class GracefulRestart : uint8_t { off, aware, on };
  GracefulRestart graceful_restart = GracefulRestart::aware;
  uint32_t graceful_restart_time = 120;
  bool rr_client = false;
  std::optional<Address> rr_cluster_id;
  bool rs_client = false;
  bool enable_route_refresh = true;
  bool enable_as4 = true;
  bool enable_extended_messages = false;
  bool capabilities = true;
  bool advertise_ipv4 = true;
  bool interpret_communities = true;
  bool allow_local_as = false;
  uint32_t allow_local_as_count = 0;
  bool allow_local_pref = false;
  bool deterministic_med = false;
  bool igp_metric = true;
  bool prefer_older = false;
  uint32_t default_local_pref = 100;  // `default bgp_local_pref N`
  std::optional<uint32_t> default_med;  // `default bgp_med N`
  bool med_metric = false;
  bool check_link = false;

  bool is_internal() const { return local_as == neighbor_as; }
  bool operator==(const BgpProtocol&) const = default;
};

// ---- the bpfrouter block ----------------------------------------------------------------

// `interface "PATTERN" { role ...; kind ...; mode ...; urpf ...; };` inside `bpfrouter { }`.
struct FastPathInterface {
  enum class Role : uint8_t { upstream, internal };
  enum class Kind : uint8_t { ethernet, l3, dummy };
  enum class Mode : uint8_t { native, generic, off };  // `skb` reads as generic
  enum class Urpf : uint8_t { off, loose, strict };

  std::string glob;                 // first matching entry wins
  std::optional<Role> role;         // unset: upstream if BGP neighbours or static next hops are
                                    // reached through it, else internal
  std::optional<Kind> kind;         // unset: from the device itself (IFLA_INFO_KIND, XDP support)
  std::optional<Mode> mode;         // unset: native, generic with a warning where native fails
  std::optional<Urpf> urpf;         // unset: off
  SourceLocation where;

  bool operator==(const FastPathInterface& o) const {
    return glob == o.glob && role == o.role && kind == o.kind && mode == o.mode && urpf == o.urpf;
  }
};

// Bogon source categories dropped on upstream interfaces (`bogons { ... }`).
struct BogonConfig {
  bool invalid = true;         // unspecified, loopback, multicast, v4-mapped, ... as source
  bool own = true;             // sources inside prefixes we originate (spoofing)
  bool documentation = false;  // 192.0.2.0/24, 2001:db8::/32, ...
  bool private_ = false;       // RFC 1918, fc00::/7, 100.64.0.0/10
  bool unallocated = false;    // addresses IANA has not allocated

  bool operator==(const BogonConfig&) const = default;
};

// Operator prefix lists, checked before routing; each entry has its own counters.
struct PrefixLists {
  std::vector<Prefix> source_allow;  // wins over source_drop and bogons
  std::vector<Prefix> source_drop;
  std::vector<Prefix> destination_allow;
  std::vector<Prefix> destination_drop;

  bool operator==(const PrefixLists&) const = default;
};

// `metrics { address ADDR; port N; label limit N; }`; absent: no HTTP endpoint.
struct MetricsConfig {
  Address address = *Address::parse("127.0.0.1");
  uint16_t port = 9324;
  uint32_t label_limit = 1000;  // prefixes exported with their own labels; the rest summed

  bool operator==(const MetricsConfig&) const = default;
};

// `counters { max prefixes N; min length v4 L; min length v6 L; }`: which routes get a
// counter slot of their own; the others share the aggregate slot.
struct CounterConfig {
  uint32_t max_prefixes = 65536;
  uint8_t min_length_v4 = 0;  // shorter prefixes share the aggregate slot
  uint8_t min_length_v6 = 0;

  bool operator==(const CounterConfig&) const = default;
};

struct FastPathConfig {
  std::string pin_root = "/sys/fs/bpf/bpfrouter";
  std::vector<FastPathInterface> interfaces;
  BogonConfig bogons;
  PrefixLists lists;
  enum class NoRoute : uint8_t { pass, drop };
  NoRoute no_route = NoRoute::pass;
  bool firewall_respect = true;  // keep traffic that forward/NAT rules concern on the kernel path
  std::vector<std::string> firewall_ignore;  // chains or rules the fast path may bypass anyway
  uint32_t stale_after = 300;    // seconds without the daemon before learned routes go to the kernel
  bool leave_running = false;    // keep the programs attached when the daemon stops cleanly
  bool fast_lookup = true;       // DIR-24-8 / multibit tables in front of the LPM tries
  std::optional<MetricsConfig> metrics;
  CounterConfig counters;
  bool present = false;  // the file had a bpfrouter block

  // The entry for an interface name, or nullptr (first glob that matches).
  const FastPathInterface* interface(const std::string& ifname) const;
  bool operator==(const FastPathConfig&) const = default;
};

// ---- the whole file ---------------------------------------------------------------------

struct Config {
  std::optional<Address> router_id;  // nullopt: the daemon picks the lowest IPv4 address
  std::vector<LogTarget> log;        // empty: stderr all
  std::vector<DeviceProtocol> device;
  std::vector<DirectProtocol> direct;
  std::vector<StaticProtocol> statics;
  std::vector<KernelProtocol> kernel;
  std::vector<BgpProtocol> bgp;
  std::map<std::string, std::shared_ptr<const filter::Filter>> filters;  // named filters
  std::map<std::string, std::string> defines;  // name -> constant, printed in BIRD's syntax
  FastPathConfig fast_path;
  std::vector<std::string> files;  // the main file and every include, in reading order

  // The protocol with this name, of any kind, or nullptr.
  const ProtocolCommon* protocol(const std::string& name) const;
};

// ---- reload -----------------------------------------------------------------------------

// What `configure` must do to go from one configuration to another.
struct ConfigDiff {
  std::vector<std::string> added;      // protocols to start
  std::vector<std::string> removed;    // protocols to stop
  std::vector<std::string> restarted;  // settings changed that need a new session
  std::vector<std::string> refiltered; // only import or export filters changed: re-run them
  std::vector<std::string> unchanged;
  bool router_id_changed = false;
  bool fast_path_changed = false;
  bool log_changed = false;
};

ConfigDiff diff(const Config& before, const Config& after);

}  // namespace bpfr::config
