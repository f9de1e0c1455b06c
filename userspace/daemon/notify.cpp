#include "daemon/notify.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <ctime>

namespace bpfr::daemon::notify {

namespace {

void send(const std::string& state) {
  int r = sd_notify(0, state.c_str());
  if (r < 0)
    spdlog::warn("systemd: notification '{}' not sent: {}", state.substr(0, state.find('\n')),
                 std::strerror(-r));
}

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

void ready(const std::string& status) {
  send(fmt::format("READY=1\nSTATUS={}", status));
}

// MONOTONIC_USEC lets systemd 253 and later (Type=notify-reload) match the reload it asked for.
void reloading() {
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration",
                   monotonic_usec()));
}

void stopping() {
  send("STOPPING=1\nSTATUS=stopping");
}

}  // namespace bpfr::daemon::notify
