// bpfrouterd as systemd runs it: READY=1 on NOTIFY_SOCKET once the fast path is attached,
// RELOADING=1 and READY=1 around a reload, STOPPING=1 when it stops, also under the unit's
// capability bounding set. Start-up refused beside BIRD. The shutdown message of a planned stop
// (RFC 8326), as BIRD shows it.
//
//   peer  p0 ---- r0  router (bpfrouterd)
//   fd00:6::2        fd00:6::1
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/lab.h"
#include "package/notify_listener.h"

namespace bpfr {
namespace {

using namespace std::chrono_literals;

std::string daemon_binary() {
  return std::string(BPFR_BINARY_DIR) + "/userspace/daemon/bpfrouterd";
}
std::string client_binary() {
  return std::string(BPFR_BINARY_DIR) + "/userspace/cli/bpfrouter";
}

constexpr const char* bird_conf = R"(router id 10.0.6.2;
protocol device {}
protocol bgp upstream {
  local fd00:6::2 as 64515;
  neighbor fd00:6::1 as 65535;
  connect retry time 2;
  ipv6 { import all; export none; };
}
)";

std::string router_conf(const std::filesystem::path& pin_root, bool bgp) {
  std::string conf = R"(router id 10.0.6.1;
protocol device {}
protocol static {
  ipv6;
  route 2001:db8:600::/48 via fd00:6::2;
}
bpfrouter {
  pin root ")" + pin_root.string() +
                     R"(";
  leave running off;
}
)";
  if (bgp)
    conf += R"(protocol bgp upstream {
  local fd00:6::1 as 65535;
  neighbor fd00:6::2 as 64515;
  connect retry time 2;
  ipv6 { import all; export none; };
}
)";
  return conf;
}

// The capabilities of the packaged unit's CapabilityBoundingSet, as setpriv(1) takes them:
// "-all,+bpf,+perfmon,...".
std::string unit_bounding_set() {
  std::ifstream unit(std::string(BPFR_SOURCE_DIR) + "/packaging/bpfrouterd.service");
  std::string line, set = "-all";
  while (std::getline(unit, line)) {
    if (!line.starts_with("CapabilityBoundingSet="))
      continue;
    std::istringstream caps(line.substr(line.find('=') + 1));
    std::string cap;
    while (caps >> cap) {
      std::string name = cap.substr(4);  // CAP_
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      set += ",+" + name;
    }
  }
  return set;
}

// A socket file nobody listens on, as a crashed BIRD leaves it: connecting is refused.
void make_stale_socket(const std::filesystem::path& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  close(fd);
}

// A router namespace linked to a peer namespace; the daemon's files in a temporary directory,
// its pins under a unique root. All removed on destruction.
class ServiceLab : public ::testing::Test {
 protected:
  ServiceLab()
      : peer_("svc"),
        rtr_("svc"),
        link_({peer_, "p0", {"fd00:6::2/64"}}, {rtr_, "r0", {"fd00:6::1/64"}}),
        dir_("bpfr-service"),
        pin_root_("/sys/fs/bpf/" + lab::unique_name("bpfr-svc")) {
    make_stale_socket(dir_ / "bird.ctl");
  }

  ~ServiceLab() override {
    daemon_.reset();
    bird_.reset();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
  }

  std::string write_conf(bool bgp) {
    auto path = dir_ / "bpfrouter.conf";
    std::ofstream(path) << router_conf(pin_root_, bgp);
    return path.string();
  }

  std::string socket() const { return (dir_ / "bpfrouter.ctl").string(); }

  // bpfrouterd -f as the unit runs it, NOTIFY_SOCKET set, `prefix` in front (setpriv ...).
  void start_daemon(bool bgp, std::vector<std::string> prefix = {},
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = prefix;
    for (const auto& a : {std::string("env"), notify_.environment(), daemon_binary(),
                          std::string("-f"), std::string("-c"), write_conf(bgp), std::string("-s"),
                          socket(), std::string("--bird-socket"), (dir_ / "bird.ctl").string()})
      argv.push_back(a);
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<lab::Process>(argv, &rtr_, dir_ / "bpfrouterd.log");
  }

  lab::Result client(std::vector<std::string> args) const {
    args.insert(args.begin(), {client_binary(), "-s", socket()});
    return lab::run(args, nullptr, 20s);
  }

  bool xdp_on_r0() const {
    return rtr_.run({"ip", "link", "show", "r0"}).out.find("xdp") != std::string::npos;
  }

  std::string diagnostics() const {
    return "notifications:\n" + notify_.received() + "bpfrouterd log:\n" + daemon_->log();
  }

  lab::Netns peer_, rtr_;
  lab::Veth link_;
  lab::TempDir dir_;
  std::filesystem::path pin_root_;
  package::NotifyListener notify_;
  std::unique_ptr<lab::Bird> bird_;
  std::unique_ptr<lab::Process> daemon_;
};

TEST_F(ServiceLab, ReadyOnceAttachedThenReloadingReadyAndStopping) {
  start_daemon(false);
  ASSERT_TRUE(notify_.wait_for("READY=1", 30s)) << diagnostics();
  EXPECT_TRUE(xdp_on_r0()) << "READY=1 came before the XDP program was attached\n" << diagnostics();
  EXPECT_TRUE(client({"show", "status"}).ok()) << "READY=1 came before the control socket answered";
  EXPECT_NE(notify_.received().find("STATUS="), std::string::npos) << diagnostics();

  auto reload = client({"configure"});
  EXPECT_TRUE(reload.ok()) << reload.describe();
  EXPECT_TRUE(notify_.wait_for("RELOADING=1", 10s)) << diagnostics();
  EXPECT_TRUE(notify_.wait_for("READY=1", 10s)) << "no READY=1 after the reload\n" << diagnostics();

  daemon_->signal(SIGTERM);
  EXPECT_TRUE(notify_.wait_for("STOPPING=1", 10s)) << diagnostics();
  int status = daemon_->stop(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n"
                                                             << diagnostics();
}

// The unit keeps CAP_BPF, CAP_PERFMON, CAP_NET_*: no CAP_SYS_ADMIN. Loading, pinning and
// attaching must work with that set alone.
TEST_F(ServiceLab, StartsWithOnlyTheUnitsCapabilities) {
  std::string caps = unit_bounding_set();
  ASSERT_NE(caps, "-all") << "no CapabilityBoundingSet in packaging/bpfrouterd.service";
  EXPECT_EQ(caps.find("sys_admin"), std::string::npos) << caps;
  start_daemon(false, {"setpriv", "--bounding-set", caps, "--inh-caps", "-all", "--"});

  ASSERT_TRUE(notify_.wait_for("READY=1", 30s)) << caps << "\n" << diagnostics();
  EXPECT_TRUE(xdp_on_r0()) << diagnostics();
  EXPECT_TRUE(std::filesystem::exists(pin_root_ / "routes_v6_v1")) << diagnostics();
  auto route = client({"show", "route", "2001:db8:600::/48"});
  EXPECT_TRUE(route.ok()) << route.describe();
}

TEST_F(ServiceLab, RefusedWhileBirdsControlSocketAnswers) {
  bird_ = std::make_unique<lab::Bird>(rtr_, "router id 10.0.6.9;\nprotocol device {}\n");
  ASSERT_TRUE(bird_->wait_ready(20s)) << bird_->process().log();

  auto r = lab::run({daemon_binary(), "-f", "-c", write_conf(false), "-s", socket(),
                     "--bird-socket", bird_->socket().string()},
                    &rtr_, 20s);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find(bird_->socket().string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(fmt::format("bird (pid {})", bird_->process().pid())), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(pin_root_)) << "maps were pinned before the refusal";
}

TEST_F(ServiceLab, RefusedWhileAnotherProcessHoldsPort179) {
  lab::Process holder({"socat", "TCP6-LISTEN:179,reuseaddr,ipv6only=0", "STDOUT"}, &rtr_);
  ASSERT_TRUE(lab::wait_until(
      [&] {
        return !rtr_.run({"ss", "-Hltn", "sport = :179"}).out.empty();
      },
      10s))
      << holder.log();

  auto r = lab::run({daemon_binary(), "-f", "-c", write_conf(true), "-s", socket(), "--bird-socket",
                     (dir_ / "bird.ctl").string()},
                    &rtr_, 20s);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find(fmt::format("TCP port 179 is held by socat (pid {})", holder.pid())),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(pin_root_)) << "maps were pinned before the refusal";
}

// RFC 8326: a planned stop ends the session with Cease/Administrative Shutdown and the
// operator's message, which BIRD shows in `show protocols all`.
class GracefulShutdown : public ServiceLab {
 protected:
  void establish(const std::string& message) {
    bird_ = std::make_unique<lab::Bird>(peer_, bird_conf);
    start_daemon(true, {}, {"--shutdown-message", message});
    ASSERT_TRUE(bird_->wait_established("upstream", 60s))
        << bird_->protocol_state("upstream") << "\n"
        << diagnostics();
  }

  // BIRD's `show protocols all upstream` once it names the received shutdown, or what it
  // showed last.
  std::string bird_view_after_stop() {
    std::string shown;
    lab::wait_until(
        [&] {
          shown = bird_->birdc({"show", "protocols", "all", "upstream"}).out;
          return shown.find("Administrative shutdown") != std::string::npos;
        },
        20s, 100ms);
    return shown;
  }
};

TEST_F(GracefulShutdown, SigtermSendsTheConfiguredMessage) {
  establish("maintenance window 42");
  daemon_->signal(SIGTERM);
  int status = daemon_->stop(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << diagnostics();

  std::string shown = bird_view_after_stop();
  EXPECT_NE(shown.find("Received: Administrative shutdown"), std::string::npos) << shown;
  EXPECT_NE(shown.find("maintenance window 42"), std::string::npos) << shown;
}

TEST_F(GracefulShutdown, DownCommandSendsTheConfiguredMessage) {
  establish("moving to new hardware");
  auto down = client({"down"});
  EXPECT_TRUE(down.ok()) << down.describe();
  EXPECT_TRUE(lab::wait_until([&] { return !daemon_->running(); }, 10s)) << diagnostics();

  std::string shown = bird_view_after_stop();
  EXPECT_NE(shown.find("Received: Administrative shutdown"), std::string::npos) << shown;
  EXPECT_NE(shown.find("moving to new hardware"), std::string::npos) << shown;
}

}  // namespace
}  // namespace bpfr
