// A BGP speaker for overload tests: it connects to bpfrouterd, exchanges OPENs and then writes
// a prepared stream of UPDATEs as fast as the socket takes them, reading and discarding what the
// daemon sends. Whether the daemon pushes back shows in how often the socket was full.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::reliability {

struct BlasterOptions {
  std::string netns_path;  // the socket is made in this namespace
  Address local;
  Address remote;
  uint32_t local_as = 0;
  uint32_t router_id = 0;  // host order
};

struct BlastReport {
  uint64_t bytes = 0;
  uint64_t messages = 0;
  uint64_t full_waits = 0;  // times the socket took nothing and we had to wait
  double seconds = 0;
};

// One message of a stream; KEEPALIVEs go between messages.
using BgpMessages = std::vector<std::vector<uint8_t>>;

// UPDATEs announcing `prefixes` (either family) from `local_as` with next hop v4/v6, a few
// prefixes per attribute set as in real tables, then End-of-RIB for both families. The AS
// paths vary with `seed`, so peers fed the same prefixes still differ.
BgpMessages table_updates(const std::vector<Prefix>& prefixes, uint32_t local_as,
                          const Address& next_hop_v4, const Address& next_hop_v6,
                          uint32_t seed);
// UPDATEs withdrawing `prefixes`.
BgpMessages table_withdrawals(const std::vector<Prefix>& prefixes);

// The first `limit` prefixes of shared/data's ISP table (both families), 0: all.
std::vector<Prefix> isp_table_prefixes(size_t limit);

class BgpBlaster {
 public:
  explicit BgpBlaster(BlasterOptions options);
  ~BgpBlaster();
  BgpBlaster(const BgpBlaster&) = delete;
  BgpBlaster& operator=(const BgpBlaster&) = delete;

  // Connects and waits for the daemon's OPEN and KEEPALIVE; throws with the reason.
  void establish(std::chrono::milliseconds timeout);
  // Writes every message (KEEPALIVEs in between every few seconds), until done, `stop`, an
  // error or the timeout; throws on a closed session or timeout.
  BlastReport send(const BgpMessages& messages, std::chrono::milliseconds timeout);
  void stop() { stopping_ = true; }

 private:
  void read_available();

  BlasterOptions options_;
  int fd_ = -1;
  std::atomic<bool> stopping_{false};
};

}  // namespace bpfr::reliability
