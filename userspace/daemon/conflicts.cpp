#include "daemon/conflicts.h"

#include <dirent.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace bpfr::daemon {

namespace {

constexpr const char* kTcpListen = "0A";  // TCP_LISTEN in /proc/net/tcp's `st` column

struct Listener {
  uint64_t inode = 0;
  uid_t uid = 0;
};

// The TCP sockets listening on `port`, any address, both families.
std::vector<Listener> listeners(uint16_t port) {
  std::vector<Listener> found;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the heading
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string slot, local, remote, state, queues, timer, retransmits, timeout;
      Listener l;
      row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> l.uid >>
          timeout >> l.inode;
      size_t colon = local.rfind(':');
      if (!row || colon == std::string::npos || state != kTcpListen)
        continue;
      if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port)
        found.push_back(l);
    }
  }
  return found;
}

constexpr const char* kUnixListening = "00010000";  // __SO_ACCEPTCON in the `Flags` column

// The inode of the listening unix socket bound to `path`, from /proc/net/unix; 0 if not found
// (the socket belongs to another network namespace). The kernel's listing may skip a line
// while sockets close under it (the connection of the liveness probe, say), so it is read up
// to three times.
uint64_t unix_socket_inode(const std::string& path) {
  for (int attempt = 0; attempt < 3; attempt++) {
    std::ifstream in("/proc/net/unix");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string num, refcount, protocol, flags, type, state, name;
      uint64_t inode = 0;
      row >> num >> refcount >> protocol >> flags >> type >> state >> inode >> name;
      if (row && flags == kUnixListening && name == path)
        return inode;
    }
  }
  return 0;
}

// Whether one of the process's descriptors is the socket `wanted` ("socket:[INODE]").
bool holds(const std::string& pid, std::string_view wanted) {
  std::string fd_dir = "/proc/" + pid + "/fd";
  DIR* fds = opendir(fd_dir.c_str());
  if (!fds)
    return false;
  bool found = false;
  while (dirent* fd = readdir(fds)) {
    char target[64];
    std::string link = fd_dir + "/" + fd->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n > 0 && std::string_view(target, size_t(n)) == wanted) {
      found = true;
      break;
    }
  }
  closedir(fds);
  return found;
}

// "bird (pid 1234)" for the process holding the socket with this inode; `unknown` when no
// descriptor we may read shows it.
std::string socket_owner(uint64_t inode, const std::string& unknown) {
  std::string wanted = fmt::format("socket:[{}]", inode);
  DIR* proc = opendir("/proc");
  if (!proc)
    return unknown;
  std::string owner = unknown;
  while (dirent* entry = readdir(proc)) {
    std::string pid = entry->d_name;
    if (pid.find_first_not_of("0123456789") != std::string::npos || !holds(pid, wanted))
      continue;
    std::string comm;
    std::getline(std::ifstream("/proc/" + pid + "/comm"), comm);
    owner = fmt::format("{} (pid {})", comm, pid);
    break;
  }
  closedir(proc);
  return owner;
}

// A connect that succeeds means a live daemon; a stale socket file refuses it.
bool accepts_connections(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path))
    return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

}  // namespace

std::optional<std::string> start_conflict(const ConflictCheck& check) {
  if (!check.bird_socket.empty() && accepts_connections(check.bird_socket)) {
    uint64_t inode = unix_socket_inode(check.bird_socket);
    return fmt::format(
        "BIRD is running: its control socket {} accepts connections ({}). bpfrouterd replaces "
        "BIRD and cannot run beside it: stop BIRD first (systemctl disable --now bird), see "
        "/usr/share/doc/bpfrouter/migration.md",
        check.bird_socket,
        inode ? socket_owner(inode, "owner unknown") : "a process in another network namespace");
  }

  if (!check.bgp_port)
    return std::nullopt;
  auto held = listeners(check.port);
  if (held.empty())
    return std::nullopt;
  const passwd* user = getpwuid(held.front().uid);
  std::string unknown =
      fmt::format("a process of user {}", user ? user->pw_name : std::to_string(held.front().uid));
  return fmt::format(
      "TCP port {} is held by {}: BGP needs it. Stop that daemon first (for BIRD: systemctl "
      "disable --now bird), see /usr/share/doc/bpfrouter/migration.md",
      check.port, socket_owner(held.front().inode, unknown));
}

}  // namespace bpfr::daemon
