// The `bpfrouter` client run in-process, as a test sees it: exit status and both streams.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace bpfr {

struct CliResult {
  int status;
  std::string out, err;
};

inline CliResult bpfrouter(std::vector<std::string> args) {
  args.insert(args.begin(), "bpfrouter");
  std::ostringstream out, err;
  int status = cli::run(args, out, err);
  return {status, out.str(), err.str()};
}

}  // namespace bpfr
