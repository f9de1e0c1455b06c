// The `bpfrouter` client: forwards show and control commands to bpfrouterd's socket and prints
// the replies, and reads the fast path's counters itself for `stats`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bpfr::cli {

// Exit statuses, as `bpfrouter --help` documents them.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int error_reply = 1;  // the daemon answered with an error, or stats failed
inline constexpr int usage = 2;        // unknown command, bad option
inline constexpr int unreachable = 3;  // no daemon on the socket; for stats, no pinned maps
inline constexpr int broken = 4;       // connection lost or a malformed reply
}  // namespace exit_code

// args[0] is the program name.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// `bpfrouter stats ...`; args are the words after `stats`.
int run_stats(const std::vector<std::string>& args, bool json, std::ostream& out,
              std::ostream& err);

}  // namespace bpfr::cli
