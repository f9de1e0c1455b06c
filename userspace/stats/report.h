// Turns two snapshots of the counter maps into what `bpfrouter stats` prints: counters, and
// rates as exact deltas of the per-CPU sums over the time between the snapshots.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "stats/reader.h"
#include "stats/reasons.h"

namespace bpfr::stats {

struct Rate {
  double pps = 0;  // packets per second
  double bps = 0;  // bits per second
};

struct PrefixRow {
  SlotCounter counter;
  std::optional<Rate> rate;  // none: first look, or the slot changed hands meanwhile
};

struct TotalRow {
  std::string name;
  int id = -1;  // reasons: the enum bpfr_reason value
  uint64_t packets = 0, bytes = 0;
  std::optional<Rate> rate;
};

struct IfaceRow {
  IfaceCounter counter;
  std::string name;  // from the ifindex; empty when this namespace has no such device
  std::optional<Rate> rx, tx;
};

struct ListRow {
  ListCounter counter;
  std::optional<Rate> rate;
};

struct ReportOptions {
  size_t top = 0;                // 0: every prefix
  std::optional<Prefix> prefix;  // only prefixes overlapping it
  std::string pin_root;
  // ifindex -> name; defaults to if_indextoname.
  std::function<std::string(uint32_t)> ifname;
};

struct Report {
  double interval_s = 0;  // 0: a single snapshot, no rates
  uint64_t realtime_ns = 0;
  uint32_t slot_capacity = 0;
  size_t slots_in_use = 0;  // own slots, live or withdrawn
  uint64_t counter_bytes = 0;
  uint32_t cpus = 0;
  size_t prefixes_matched = 0;      // before --top
  std::vector<PrefixRow> prefixes;  // by bit rate, then bytes
  std::vector<TotalRow> actions;    // forward, pass, drop
  std::vector<TotalRow> reasons;    // every named reason, and unnamed ones that counted
  std::vector<IfaceRow> ifaces;
  std::vector<ListRow> lists;
};

// before may be null: counters only.
Report make_report(const Snapshot* before, const Snapshot& now, const ReportOptions& options);

std::string format_text(const Report& report);
nlohmann::json to_json(const Report& report, const std::string& pin_root);

// 1234567 -> "1.23M"
std::string si(double value);

}  // namespace bpfr::stats
