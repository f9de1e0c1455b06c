// Dropping to another user and group after start-up, keeping the capabilities the daemon
// needs at run time (netlink changes, BPF maps, the BGP port).
#pragma once

#include <string>

namespace bpfr::daemon {

// Empty user or group: unchanged. Returns false with a reason.
bool drop_privileges(const std::string& user, const std::string& group, std::string* error);

}  // namespace bpfr::daemon
