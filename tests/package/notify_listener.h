// The receiving end of sd_notify(3): a datagram socket whose path goes into NOTIFY_SOCKET of
// the daemon under test, as systemd's would.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "lab/lab.h"

namespace bpfr::package {

class NotifyListener {
 public:
  NotifyListener() : dir_("bpfr-notify"), path_(dir_ / "notify.sock") {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      throw std::runtime_error("notify: cannot bind " + path_.string() + ": " + strerror(errno));
  }
  ~NotifyListener() { close(fd_); }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  // "NOTIFY_SOCKET=PATH", for `env` in front of the daemon's command line.
  std::string environment() const { return "NOTIFY_SOCKET=" + path_.string(); }

  // Waits for a datagram holding the line `assignment` ("READY=1") after the one the last wait
  // matched, so a second READY=1 needs a second datagram. False when none came in time.
  bool wait_for(const std::string& assignment, lab::Duration timeout) {
    auto deadline = lab::Clock::now() + timeout;
    for (;;) {
      for (; next_ < received_.size(); next_++) {
        if (has_line(received_[next_], assignment)) {
          next_++;
          return true;
        }
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - lab::Clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, int(left.count())) <= 0)
        continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0)
        received_.emplace_back(buf, size_t(n));
    }
  }

  // Every datagram so far, one per line, for failure messages.
  std::string received() const {
    std::string out;
    for (const auto& m : received_)
      out += "[" + m + "]\n";
    return out;
  }

 private:
  static bool has_line(const std::string& message, const std::string& line) {
    size_t at = 0;
    while (at <= message.size()) {
      size_t end = std::min(message.find('\n', at), message.size());
      if (message.compare(at, end - at, line) == 0)
        return true;
      at = end + 1;
    }
    return false;
  }

  lab::TempDir dir_;
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> received_;
  size_t next_ = 0;  // the first datagram no wait has looked at
};

}  // namespace bpfr::package
