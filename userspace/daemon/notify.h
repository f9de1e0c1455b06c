// Start-up, reload and stop reported to systemd (Type=notify) through sd_notify(3). Without
// NOTIFY_SOCKET in the environment (not started by systemd) every call does nothing.
#pragma once

#include <string>

namespace bpfr::daemon::notify {

// The fast path is set up and the control socket answers: `systemctl start` returns.
void ready(const std::string& status);
// A reload began; ready() ends it.
void reloading();
// A stop began: sessions are being closed and the fast path detached or left running.
void stopping();

}  // namespace bpfr::daemon::notify
