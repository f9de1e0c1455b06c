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

namespace bpfr::daemon {

namespace {

// CAP_BPF and CAP_PERFMON are newer than some uapi headers.
constexpr int cap_perfmon = 38;
constexpr int cap_bpf = 39;
constexpr int kept[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE, cap_bpf, cap_perfmon};

bool keep_capabilities(std::string* error) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap : kept) {
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (syscall(SYS_capset, &header, data) != 0) {
    *error = fmt::format("capset: {}", strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

bool drop_privileges(const std::string& user, const std::string& group, std::string* error) {
  if (user.empty() && group.empty())
    return true;

  gid_t gid = getgid();
  uid_t uid = getuid();
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g) {
      *error = fmt::format("unknown group {}", group);
      return false;
    }
    gid = g->gr_gid;
  }
  if (!user.empty()) {
    struct passwd* p = getpwnam(user.c_str());
    if (!p) {
      *error = fmt::format("unknown user {}", user);
      return false;
    }
    uid = p->pw_uid;
    if (group.empty())
      gid = p->pw_gid;
  }

  if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgroups(0, nullptr) != 0 || setgid(gid) != 0 ||
      setuid(uid) != 0) {
    *error = fmt::format("switching to uid {} gid {}: {}", uid, gid, strerror(errno));
    return false;
  }
  return keep_capabilities(error);
}

}  // namespace bpfr::daemon
