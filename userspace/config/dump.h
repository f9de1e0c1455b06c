// The configuration model written back in BIRD's syntax, every setting spelled out with its
// value (defaults included), for `bpfrouterd -p -v`-style output and golden tests.
#pragma once

#include <string>

#include "config/config.h"

namespace bpfr::config {

// Filters print as their source text; defines and functions are not repeated, so the output
// parses back only for configurations whose filters use neither.
std::string dump(const Config& config);

}  // namespace bpfr::config
