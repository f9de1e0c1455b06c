#include "stats/metrics.h"

#include <fmt/format.h>
#include <httplib.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "stats/reasons.h"

namespace bpfr::stats {

namespace {

std::string_view list_action_label(uint8_t action) {
  if (action == BPFR_LIST_KERNEL)
    return "kernel";  // a firewall rule's entry: kept on the kernel path
  return action == BPFR_LIST_ALLOW ? "allow" : "drop";
}

std::string escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }

  // labels: {"name", "value", ...}
  void sample(std::string_view name, std::initializer_list<std::string_view> labels, double value) {
    out_ += name;
    if (labels.size()) {
      out_ += '{';
      auto it = labels.begin();
      for (size_t i = 0; i + 1 < labels.size(); i += 2, it += 2) {
        if (i)
          out_ += ',';
        fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", *it, escape(*(it + 1)));
      }
      out_ += '}';
    }
    fmt::format_to(std::back_inserter(out_), " {}\n", value);
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void prefixes(Exposition& e, const Snapshot& s, uint32_t limit) {
  // The busiest prefixes (by bytes) keep their own labels; the rest are summed.
  std::vector<const SlotCounter*> own;
  const SlotCounter* aggregate = nullptr;
  for (const auto& c : s.slots) {
    if (c.slot == BPFR_SLOT_AGGREGATE)
      aggregate = &c;
    else
      own.push_back(&c);
  }
  std::stable_sort(own.begin(), own.end(), [](auto* a, auto* b) { return a->bytes > b->bytes; });
  uint64_t other_packets = 0, other_bytes = 0;
  size_t folded = 0;
  if (own.size() > limit) {
    for (size_t i = limit; i < own.size(); i++) {
      other_packets += own[i]->packets;
      other_bytes += own[i]->bytes;
    }
    folded = own.size() - limit;
    own.resize(limit);
  }

  for (auto [metric, bytes] : {std::pair{"bpfrouter_prefix_packets_total", false},
                               std::pair{"bpfrouter_prefix_bytes_total", true}}) {
    e.family(metric, "counter",
             bytes ? "Bytes routed by the fast path per prefix."
                   : "Packets routed by the fast path per prefix.");
    for (auto* c : own) {
      std::string p = c->prefix ? c->prefix->str() : fmt::format("slot{}", c->slot);
      e.sample(metric,
               {"prefix", p, "state", c->state == BPFR_SLOT_WITHDRAWN ? "withdrawn" : "live"},
               double(bytes ? c->bytes : c->packets));
    }
    if (aggregate)
      e.sample(metric, {"prefix", "aggregate", "state", "live"},
               double(bytes ? aggregate->bytes : aggregate->packets));
    if (folded)
      e.sample(metric, {"prefix", "other", "state", "live"},
               double(bytes ? other_bytes : other_packets));
  }
  e.family("bpfrouter_prefix_series_folded", "gauge",
           "Prefixes summed into prefix=\"other\" by the label limit.");
  e.sample("bpfrouter_prefix_series_folded", {}, double(folded));
}

void dataplane(Exposition& e, const Snapshot& s, uint32_t limit) {
  e.family("bpfrouter_counter_slots_in_use", "gauge", "Counter slots held by a prefix.");
  e.sample("bpfrouter_counter_slots_in_use", {}, double(s.slots.empty() ? 0 : s.slots.size() - 1));
  e.family("bpfrouter_counter_slots_capacity", "gauge", "Counter slots in route_stats.");
  e.sample("bpfrouter_counter_slots_capacity", {}, s.slot_capacity);
  e.family("bpfrouter_counter_memory_bytes", "gauge", "Kernel memory of per-CPU route counters.");
  e.sample("bpfrouter_counter_memory_bytes", {}, double(s.counter_bytes));

  prefixes(e, s, limit);

  for (auto [metric, bytes] : {std::pair{"bpfrouter_reason_packets_total", false},
                               std::pair{"bpfrouter_reason_bytes_total", true}}) {
    e.family(metric, "counter", "What the fast path did with packets, by reason.");
    for (uint32_t i = 0; i < BPFR_REASON_MAX; i++) {
      auto name = reason_name(i);
      if (!name)
        continue;
      e.sample(metric, {"reason", *name, "action", action_name(reason_action(i))},
               double(bytes ? s.reasons[i].bytes : s.reasons[i].packets));
    }
  }

  struct IfaceMetric {
    const char* name;
    __u64 bpfr_iface_counters::*field;
  };
  const IfaceMetric iface_metrics[] = {
      {"bpfrouter_interface_rx_packets_total", &bpfr_iface_counters::rx_packets},
      {"bpfrouter_interface_rx_bytes_total", &bpfr_iface_counters::rx_bytes},
      {"bpfrouter_interface_tx_packets_total", &bpfr_iface_counters::tx_packets},
      {"bpfrouter_interface_tx_bytes_total", &bpfr_iface_counters::tx_bytes},
      {"bpfrouter_interface_pass_packets_total", &bpfr_iface_counters::pass_packets},
      {"bpfrouter_interface_drop_packets_total", &bpfr_iface_counters::drop_packets},
  };
  for (const auto& m : iface_metrics) {
    e.family(m.name, "counter", "Fast-path counters per attached interface.");
    for (const auto& i : s.ifaces) {
      char buf[IF_NAMESIZE] = {};
      std::string name = if_indextoname(i.ifindex, buf) ? buf : "";
      e.sample(m.name, {"interface", name, "ifindex", std::to_string(i.ifindex)},
               double(i.sum.*m.field));
    }
  }

  e.family("bpfrouter_filter_packets_total", "counter",
           "Packets matching an operator list entry or a firewall rule's kernel-path entry.");
  for (const auto& l : s.lists)
    e.sample("bpfrouter_filter_packets_total",
             {"list", l.list == ListKind::source ? "source" : "destination", "prefix",
              l.prefix.str(), "action", list_action_label(l.action)},
             double(l.packets));
}

void protocols_metrics(Exposition& e, std::span<const control::ProtocolInfo> protocols) {
  e.family("bpfrouter_protocol_up", "gauge", "1 when the protocol is up.");
  for (const auto& p : protocols)
    e.sample("bpfrouter_protocol_up", {"protocol", p.name, "proto", p.proto}, p.state == "up");

  static constexpr std::string_view kStates[] = {"Idle",     "Connect",     "Active",
                                                 "OpenSent", "OpenConfirm", "Established"};
  e.family("bpfrouter_bgp_session_state", "gauge",
           "1 for the BGP session's current state, 0 for the others.");
  for (const auto& p : protocols) {
    if (!p.bgp)
      continue;
    std::string neighbor = p.bgp->neighbor.str();
    bool known = false;
    for (auto st : kStates) {
      known |= st == p.bgp->state;
      e.sample("bpfrouter_bgp_session_state",
               {"protocol", p.name, "neighbor", neighbor, "state", st}, st == p.bgp->state);
    }
    if (!known)
      e.sample("bpfrouter_bgp_session_state",
               {"protocol", p.name, "neighbor", neighbor, "state", p.bgp->state}, 1);
  }

  e.family("bpfrouter_routes", "gauge", "Routes per protocol channel.");
  for (const auto& p : protocols)
    for (const auto& ch : p.channels)
      for (auto [kind, n] :
           {std::pair{"imported", ch.imported}, std::pair{"filtered", ch.filtered},
            std::pair{"exported", ch.exported}, std::pair{"preferred", ch.preferred}})
        e.sample("bpfrouter_routes", {"protocol", p.name, "channel", ch.name, "kind", kind}, n);

  e.family("bpfrouter_route_updates_total", "counter",
           "Route updates and withdraws received per protocol channel; rate() gives update rates.");
  for (const auto& p : protocols)
    for (const auto& ch : p.channels)
      for (auto [dir, kind, row] : {std::tuple{"import", "updates", &ch.import_updates},
                                    std::tuple{"import", "withdraws", &ch.import_withdraws},
                                    std::tuple{"export", "updates", &ch.export_updates},
                                    std::tuple{"export", "withdraws", &ch.export_withdraws}})
        e.sample("bpfrouter_route_updates_total",
                 {"protocol", p.name, "channel", ch.name, "direction", dir, "kind", kind},
                 double(row->received.value_or(0)));
}

}  // namespace

std::string render_metrics(const Snapshot* dp, std::span<const control::ProtocolInfo> protocols,
                           uint32_t label_limit) {
  Exposition e;
  e.family("bpfrouter_dataplane_up", "gauge", "1 when the pinned counter maps could be read.");
  e.sample("bpfrouter_dataplane_up", {}, dp != nullptr);
  if (dp)
    dataplane(e, *dp, label_limit);
  protocols_metrics(e, protocols);
  return e.take();
}

MetricsServer::MetricsServer(MetricsOptions options) : options_(std::move(options)) {}

MetricsServer::~MetricsServer() {
  stop();
}

void MetricsServer::start() {
  http_ = std::make_unique<httplib::Server>();
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
  std::string host = options_.address.str();
  int port = options_.port ? (http_->bind_to_port(host, options_.port) ? options_.port : -1)
                           : http_->bind_to_any_port(host);
  if (port <= 0)
    throw std::runtime_error(
        fmt::format("metrics: cannot listen on {} port {}", options_.address, options_.port));
  bound_port_ = uint16_t(port);
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  spdlog::info("metrics: serving http://{}:{}/metrics",
               options_.address.is_v4() ? host : "[" + host + "]", bound_port_);
}

void MetricsServer::stop() {
  if (!http_)
    return;
  http_->stop();
  if (thread_.joinable())
    thread_.join();
  http_.reset();
}

void MetricsServer::publish(std::vector<control::ProtocolInfo> protocols) {
  std::lock_guard lock(mutex_);
  protocols_ = std::move(protocols);
}

std::string MetricsServer::scrape() {
  std::vector<control::ProtocolInfo> protocols;
  {
    std::lock_guard lock(mutex_);
    protocols = protocols_;
  }
  auto reader = Reader::open(options_.pin_root);
  std::optional<Snapshot> snap;
  if (auto* r = std::get_if<Reader>(&reader)) {
    auto s = r->read();
    if (auto* ok = std::get_if<Snapshot>(&s))
      snap = std::move(*ok);
    else
      spdlog::debug("metrics: {}", std::get<std::string>(s));
  } else {
    spdlog::debug("metrics: {}", std::get<std::string>(reader));
  }
  return render_metrics(snap ? &*snap : nullptr, protocols, options_.label_limit);
}

}  // namespace bpfr::stats
