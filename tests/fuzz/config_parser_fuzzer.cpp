// Fuzzes the BIRD configuration parser with the input as a bird.conf: parse, print the model
// back (dump), parse that again, and diff the results. A ConfigError is the expected outcome
// for most inputs; crashes, sanitizer reports and hangs are the findings.
//
// With BPFR_FUZZ_STRICT=1: any exception other than ConfigError is a finding (the daemon
// catches std::exception, but the message then lacks a file and line), and a dump that parses
// again must dump to the same text.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "config/dump.h"
#include "config/parser.h"
#include "fuzz_util.h"

namespace {

using namespace bpfr::config;

// A name in a directory that does not exist, so relative includes (skipped anyway) find nothing.
constexpr const char* kName = "/nonexistent/bpfr-fuzz/bird.conf";

std::optional<Config> parse(std::string_view text) {
  try {
    return parse_config_text(text, kName);
  } catch (const ConfigError&) {
    return std::nullopt;
  } catch (const std::exception& e) {
    if (bpfr::fuzz::strict())
      bpfr::fuzz::fail("parse_config_text threw something other than ConfigError", e.what());
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpfr::fuzz::quiet();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (bpfr::fuzz::mentions_include(text))
    return -1;

  std::optional<Config> config = parse(text);
  if (!config)
    return 0;
  (void)diff(*config, *config);
  (void)diff(Config{}, *config);
  for (const auto& p : config->bgp)
    (void)config->protocol(p.name);

  // The dump omits defines and functions, so it parses back only without them (dump.h).
  std::string printed = dump(*config);
  std::optional<Config> again = parse(printed);
  if (!again)
    return 0;
  (void)diff(*config, *again);
  if (bpfr::fuzz::strict() && dump(*again) != printed)
    bpfr::fuzz::fail("dump(parse(dump(c))) differs from dump(c)", printed);
  return 0;
}
