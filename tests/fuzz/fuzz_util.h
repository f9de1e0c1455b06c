// Helpers shared by the harnesses in this folder.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <spdlog/spdlog.h>

namespace bpfr::fuzz {

// A property the harness checks does not hold: print it and abort, so libFuzzer keeps the
// input as a crash and the replay test fails on it.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz: %.*s: %.*s\n", int(what.size()), what.data(), int(detail.size()),
               detail.data());
  std::abort();
}

// Extra checks beyond "no crash" (round trips, contracts), on when BPFR_FUZZ_STRICT is set.
inline bool strict() {
  static const bool on = std::getenv("BPFR_FUZZ_STRICT") != nullptr;
  return on;
}

// Logging off: filters log their run-time errors, which would flood the fuzzer's output.
inline void quiet() {
  static const bool done = (spdlog::set_level(spdlog::level::off), true);
  (void)done;
}

// Configuration and filter texts may `include` files by absolute path or glob, which would let
// the fuzzer read /dev/zero or the whole file system; such inputs are skipped.
inline bool mentions_include(std::string_view text) {
  return text.find("include") != std::string_view::npos;
}

}  // namespace bpfr::fuzz
