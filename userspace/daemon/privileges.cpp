#include "daemon/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace bpfr::daemon {

namespace {

// Newer than some uapi headers.
constexpr int cap_bpf = 39;

struct Identity {
  uid_t uid;
  gid_t gid;
};

bool lookup_identity(const PrivilegeDrop& d, Identity* id, std::string* error) {
  id->uid = getuid();
  id->gid = getgid();
  if (!d.user.empty()) {
    struct passwd* p = getpwnam(d.user.c_str());
    if (!p) {
      *error = fmt::format("privileges: unknown user {}", d.user);
      return false;
    }
    id->uid = p->pw_uid;
    id->gid = p->pw_gid;
  }
  if (!d.group.empty()) {
    struct group* g = getgrnam(d.group.c_str());
    if (!g) {
      *error = fmt::format("privileges: unknown group {}", d.group);
      return false;
    }
    id->gid = g->gr_gid;
  }
  return true;
}

int last_capability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = cap_bpf;
  in >> last;
  return last;
}

bool kept(int cap) {
  for (int k : kept_capabilities())
    if (k == cap)
      return true;
  return false;
}

// The bounding set needs CAP_SETPCAP, so it goes first, while we are still root. A daemon
// started without CAP_SETPCAP cannot shrink it and keeps going (defence in depth only).
bool drop_bounding_set(std::string* error) {
  int last = last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (kept(cap) || prctl(PR_CAPBSET_READ, cap) != 1)
      continue;
    if (prctl(PR_CAPBSET_DROP, cap) == 0)
      continue;
    if (errno == EPERM)
      return true;
    *error = fmt::format("privileges: dropping capability {} from the bounding set: {}", cap,
                         strerror(errno));
    return false;
  }
  return true;
}

// Owned directories first: afterwards we may not chown any more.
bool switch_identity(const PrivilegeDrop& d, const Identity& id, std::string* error) {
  for (const auto& dir : d.owned_dirs)
    if (chown(dir.c_str(), id.uid, id.gid) != 0) {
      *error = fmt::format("privileges: handing {} to uid {}: {}", dir, id.uid, strerror(errno));
      return false;
    }
  if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgroups(0, nullptr) != 0 || setgid(id.gid) != 0 ||
      setuid(id.uid) != 0) {
    *error = fmt::format("privileges: switching to uid {} gid {}: {}", id.uid, id.gid,
                         strerror(errno));
    return false;
  }
  prctl(PR_SET_KEEPCAPS, 0);
  return true;
}

bool set_capabilities(std::string* error) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap : kept_capabilities()) {
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (syscall(SYS_capset, &header, data) != 0) {
    *error = fmt::format("privileges: capset: {}", strerror(errno));
    return false;
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  return true;
}

}  // namespace

// Measured on kernel 6.18 (tests/reliability/privileges_test.cpp): attaching XDP and tcx
// links, BPF_LINK_UPDATE, pinning and unpinning in bpffs and writing maps through open
// descriptors need only CAP_NET_ADMIN there; CAP_SYS_ADMIN, CAP_PERFMON and CAP_NET_RAW are not
// needed after the programs are loaded. CAP_BPF stays for kernels before 6.5 (Debian 12's own
// 6.1), which refuse every bpf() command without it while unprivileged BPF is disabled.
const std::vector<int>& kept_capabilities() {
  static const std::vector<int> caps = {CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, cap_bpf};
  return caps;
}

bool drop_privileges(const PrivilegeDrop& drop, std::string* error) {
  Identity id{};
  if (!lookup_identity(drop, &id, error))
    return false;

  if (!drop_bounding_set(error))
    return false;

  bool switching = !drop.user.empty() || !drop.group.empty();
  if (switching && !switch_identity(drop, id, error))
    return false;

  return set_capabilities(error);
}

}  // namespace bpfr::daemon
