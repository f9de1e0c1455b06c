// bpfrouterd: the routing daemon. Takes BIRD's own flags, so it can stand in for bird.
#include <fcntl.h>
#include <getopt.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "config/parser.h"
#include "daemon/conflicts.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "daemon/privileges.h"

namespace {

struct Flags {
  bpfr::daemon::Options daemon;
  bool foreground = false;
  bool parse_only = false;
  bool debug = false;
  std::string pidfile;
  std::string user;
  std::string group;
  std::string bird_socket = "/run/bird/bird.ctl";
};

// Exit statuses, as the usage text and bpfrouterd(8) document them.
constexpr int exit_failed = 1;    // the configuration is unusable, or start-up failed
constexpr int exit_usage = 2;     // unknown flag or missing argument
constexpr int exit_conflict = 3;  // BIRD or another daemon holds port 179 or BIRD's socket

constexpr const char* usage_text =
    "Usage: bpfrouterd [options]\n"
    "  -c FILE         configuration file (default /etc/bpfrouter/bpfrouter.conf,\n"
    "                  else /etc/bird/bird.conf)\n"
    "  -s PATH         control socket (default /run/bpfrouter/bpfrouter.ctl)\n"
    "  -f              run in the foreground\n"
    "  -d              debug messages; implies -f\n"
    "  -p              parse the configuration and exit\n"
    "  -P FILE         write the process id to FILE\n"
    "  -u USER         run as USER after start-up\n"
    "  -g GROUP        run with GROUP after start-up\n"
    "  -R              graceful restart recovery after a restart\n"
    "  --pin-root PATH where the BPF maps and links are pinned (default /sys/fs/bpf/bpfrouter)\n"
    "  --shutdown-message TEXT\n"
    "                  sent to every BGP peer when the daemon stops (RFC 8326, RFC 9003)\n"
    "  --bird-socket PATH\n"
    "                  BIRD's control socket; start-up is refused while it answers\n"
    "                  (default /run/bird/bird.ctl; empty: not checked)\n"
    "  --version       print the version and exit\n"
    "  --help          print this text and exit\n"
    "\nExit status:\n"
    "  0  stopped cleanly (SIGTERM, SIGINT, `bpfrouter down`), or -p found the file usable\n"
    "  1  the configuration is unusable, or start-up failed\n"
    "  2  usage error: unknown flag or missing argument\n"
    "  3  refused: BIRD's control socket answers, or another process holds TCP port 179\n";

std::string default_config() {
  if (std::filesystem::exists("/etc/bpfrouter/bpfrouter.conf"))
    return "/etc/bpfrouter/bpfrouter.conf";
  return "/etc/bird/bird.conf";
}

// Returns an exit code when the program should end without running.
std::optional<int> parse_flags(int argc, char** argv, Flags& f) {
  enum { opt_pin_root = 256, opt_version, opt_help, opt_shutdown_message, opt_bird_socket };
  static const option long_options[] = {
      {"pin-root", required_argument, nullptr, opt_pin_root},
      {"version", no_argument, nullptr, opt_version},
      {"help", no_argument, nullptr, opt_help},
      {"shutdown-message", required_argument, nullptr, opt_shutdown_message},
      {"bird-socket", required_argument, nullptr, opt_bird_socket},
      {nullptr, 0, nullptr, 0},
  };
  f.daemon.config_path = default_config();
  int c;
  while ((c = getopt_long(argc, argv, "c:s:fdpP:u:g:Rh", long_options, nullptr)) != -1) {
    switch (c) {
      case 'c':
        f.daemon.config_path = optarg;
        break;
      case 's':
        f.daemon.socket_path = optarg;
        break;
      case 'f':
        f.foreground = true;
        break;
      case 'd':
        f.debug = f.foreground = true;
        break;
      case 'p':
        f.parse_only = true;
        break;
      case 'P':
        f.pidfile = optarg;
        break;
      case 'u':
        f.user = optarg;
        break;
      case 'g':
        f.group = optarg;
        break;
      case 'R':
        f.daemon.graceful_restart_recovery = true;
        break;
      case opt_pin_root:
        f.daemon.pin_root = optarg;
        break;
      case opt_shutdown_message:
        f.daemon.shutdown_message = optarg;
        break;
      case opt_bird_socket:
        f.bird_socket = optarg;
        break;
      case opt_version:
        std::cout << "bpfrouterd " << BPFR_VERSION << "\n";
        return 0;
      case 'h':
      case opt_help:
        std::cout << usage_text;
        return 0;
      default:
        std::cerr << usage_text;
        return exit_usage;
    }
  }
  if (optind < argc) {
    std::cerr << "bpfrouterd: unexpected argument " << argv[optind] << "\n" << usage_text;
    return exit_usage;
  }
  return std::nullopt;
}

// The classic double-step into the background; the parent exits once the child runs.
bool daemonize(asio::io_context& io) {
  io.notify_fork(asio::execution_context::fork_prepare);
  pid_t pid = fork();
  if (pid < 0)
    return false;
  if (pid > 0)
    _exit(0);
  io.notify_fork(asio::execution_context::fork_child);
  setsid();
  if (chdir("/") != 0)
    return false;
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO)
      close(null);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (auto code = parse_flags(argc, argv, flags))
    return *code;

  bpfr::config::Config config;
  try {
    config = bpfr::config::parse_config_file(flags.daemon.config_path);
  } catch (const std::exception& e) {
    std::cerr << "bpfrouterd: " << e.what() << "\n";
    return exit_failed;
  }
  if (flags.parse_only)
    return 0;
  bpfr::daemon::ConflictCheck conflicts{!config.bgp.empty(), 179, flags.bird_socket};
  if (auto conflict = bpfr::daemon::start_conflict(conflicts)) {
    std::cerr << "bpfrouterd: not starting: " << *conflict << "\n";
    return exit_conflict;
  }
  if (flags.daemon.pin_root && (*flags.daemon.pin_root).empty()) {
    std::cerr << "bpfrouterd: --pin-root needs a path\n";
    return 2;
  }

  bpfr::daemon::setup_logging(config.log, flags.debug);
  std::string pin_root = flags.daemon.pin_root.value_or(config.fast_path.pin_root);
  asio::io_context io;
  std::unique_ptr<bpfr::daemon::Daemon> daemon;
  try {
    daemon = std::make_unique<bpfr::daemon::Daemon>(io, flags.daemon, std::move(config));
  } catch (const std::exception& e) {
    spdlog::critical("bpfrouterd: start-up failed: {}", e.what());
    return 1;
  }

  if (!flags.foreground && !daemonize(io)) {
    spdlog::critical("bpfrouterd: cannot go to the background");
    return 1;
  }
  if (!flags.pidfile.empty()) {
    std::ofstream(flags.pidfile) << getpid() << "\n";
  }

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (!ec)
      daemon->stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const asio::error_code& ec, int) {
      if (ec)
        return;
      std::string error;
      daemon->reload(&error);
      wait_hup();
    });
  };
  wait_hup();

  try {
    daemon->start();
  } catch (const std::exception& e) {
    spdlog::critical("bpfrouterd: start-up failed: {}", e.what());
    return 1;
  }
  std::string error;
  bpfr::daemon::PrivilegeDrop drop{flags.user, flags.group, {pin_root, pin_root + "/links"}};
  if (!bpfr::daemon::drop_privileges(drop, &error)) {
    spdlog::critical("bpfrouterd: {}", error);
    return 1;
  }

  io.run();
  daemon.reset();
  if (!flags.pidfile.empty())
    unlink(flags.pidfile.c_str());
  return 0;
}
