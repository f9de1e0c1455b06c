// MRT (RFC 6396) BGP4MP records: the BGP messages a route collector received, replayed through
// the codec by tests and by the decode benchmark.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/message.h"
#include "bgp/wire.h"
#include "common/ip.h"

namespace bpfr::bgp {

struct MrtMessage {
  uint32_t timestamp = 0;
  uint32_t peer_as = 0;
  Address peer;
  bool four_octet_as = false;      // an *_AS4 subtype: the collector's session used 4-octet ASNs
  std::span<const uint8_t> bytes;  // the whole BGP message, pointing into the reader's data
};

// Yields BGP4MP and BGP4MP_ET MESSAGE records (subtypes 1, 4, 6, 7) in order and skips every
// other record. Stops at the first truncated record.
class MrtReader {
 public:
  explicit MrtReader(std::span<const uint8_t> data) : reader_(data) {}
  std::optional<MrtMessage> next();

 private:
  Reader reader_;
};

// The file's bytes, through gzip or bzip2 for .gz and .bz2. Empty when it cannot be read.
std::vector<uint8_t> read_mrt_file(const std::string& path);

struct DecodeBenchmark {
  size_t messages = 0;
  size_t updates = 0;
  size_t prefixes = 0;     // announced plus withdrawn
  size_t errors = 0;       // messages that would have reset the session
  size_t with_issues = 0;  // UPDATEs with an RFC 7606 action
  double seconds = 0;

  double updates_per_second() const { return seconds > 0 ? double(updates) / seconds : 0; }
};

// Decodes every message `rounds` times and reports the rate.
DecodeBenchmark benchmark_decode(std::span<const MrtMessage> messages, unsigned rounds = 1);

}  // namespace bpfr::bgp
