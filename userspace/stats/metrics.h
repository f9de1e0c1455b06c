// Prometheus text exposition over HTTP (cpp-httplib on a thread of its own): per-prefix
// counters with a cap on label cardinality, drops by reason, interfaces, filter entries,
// sessions and their states, routes per protocol and update counters.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/ip.h"
#include "control/model.h"
#include "stats/reader.h"

namespace httplib {
class Server;
}

namespace bpfr::stats {

struct MetricsOptions {
  Address address = *Address::parse("127.0.0.1");
  uint16_t port = 9324;         // 0: any free port (tests)
  uint32_t label_limit = 1000;  // prefixes with labels of their own; the rest sum to "other"
  std::string pin_root = "/sys/fs/bpf/bpfrouter";
};

// The exposition for one scrape. dataplane is null when the maps could not be read.
std::string render_metrics(const Snapshot* dataplane,
                           std::span<const control::ProtocolInfo> protocols, uint32_t label_limit);

class MetricsServer {
 public:
  explicit MetricsServer(MetricsOptions options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and serves GET /metrics. Throws std::runtime_error naming the address when it cannot
  // bind (start-up).
  void start();
  void stop();
  uint16_t port() const { return bound_port_; }

  // The daemon hands over its protocols whenever they change; scrapes use the latest.
  void publish(std::vector<control::ProtocolInfo> protocols);

 private:
  std::string scrape();

  MetricsOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  uint16_t bound_port_ = 0;
  std::mutex mutex_;
  std::vector<control::ProtocolInfo> protocols_;
};

}  // namespace bpfr::stats
