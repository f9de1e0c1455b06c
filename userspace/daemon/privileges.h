// What bpfrouterd keeps once start-up is over: a handful of capabilities, optionally under
// another user and group. Everything it does later (netlink changes, attaching and pinning BPF
// links, the BGP port, map writes through open descriptors) needs only these.
#pragma once

#include <string>
#include <vector>

namespace bpfr::daemon {

struct PrivilegeDrop {
  std::string user;   // -u; empty: stay uid 0 (with the reduced capability set all the same)
  std::string group;  // -g; empty: the user's own group
  // Directories the daemon still writes after the switch (the pin root and its links/), handed
  // to the user so pinning a newly attached device's link works without CAP_DAC_OVERRIDE.
  std::vector<std::string> owned_dirs;
};

// The capability numbers kept: CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_BPF.
const std::vector<int>& kept_capabilities();

// Switches user and group if asked, then limits the effective, permitted and bounding sets to
// kept_capabilities(), inheritable and ambient to nothing. Returns false with a reason.
bool drop_privileges(const PrivilegeDrop& drop, std::string* error);

}  // namespace bpfr::daemon
