// The daemon's log targets from the configuration's `log` statements.
#pragma once

#include <vector>

#include "config/config.h"

namespace bpfr::daemon {

// Replaces spdlog's default logger. No targets: stderr, every class. debug: lower the level
// to debug whatever the targets say (-d).
void setup_logging(const std::vector<config::LogTarget>& targets, bool debug);

}  // namespace bpfr::daemon
