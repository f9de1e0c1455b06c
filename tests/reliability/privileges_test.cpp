// After start-up bpfrouterd keeps CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and CAP_BPF and nothing
// else (effective, permitted and bounding sets, read from /proc/PID/status), as root or as the
// user of -u/-g, and still attaches, pins, forwards and detaches with them. Its control socket
// is mode 0660: a user outside its owner and group cannot connect.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>

#include "reliability/reliability_lab.h"

namespace bpfr::reliability {
namespace {

constexpr int cap_net_bind_service = 10;
constexpr int cap_net_admin = 12;
constexpr int cap_bpf = 39;
constexpr uint64_t kept_caps =
    (1ull << cap_net_bind_service) | (1ull << cap_net_admin) | (1ull << cap_bpf);
constexpr uid_t nobody = 65534;
constexpr const char* probe_dst = "10.99.0.128/25";

// "Name:\tvalue" lines of /proc/PID/status.
std::map<std::string, std::string> proc_status(pid_t pid) {
  std::map<std::string, std::string> out;
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

uint64_t cap_mask(const std::string& hex) {
  return std::stoull(hex, nullptr, 16);
}

class Privileges : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<ReliabilityLab>();
  }

  void expect_only_kept_capabilities() {
    auto status = proc_status(lab_->daemon_pid());
    ASSERT_FALSE(status.empty()) << lab_->daemon_log();
    EXPECT_EQ(cap_mask(status["CapEff"]), kept_caps) << status["CapEff"];
    EXPECT_EQ(cap_mask(status["CapPrm"]), kept_caps) << status["CapPrm"];
    EXPECT_EQ(cap_mask(status["CapBnd"]), kept_caps) << status["CapBnd"];
    EXPECT_EQ(cap_mask(status["CapInh"]), 0u) << status["CapInh"];
    EXPECT_EQ(cap_mask(status["CapAmb"]), 0u) << status["CapAmb"];
  }

  // What the daemon does after dropping them: forward, take a new route on reload, detach.
  void expect_working_without_them() {
    uint64_t xdp_before = lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets;
    ASSERT_EQ(lab_->send(probe_dst, 200, 20000, 51), 200u);
    EXPECT_EQ(lab_->maps().reason_counter(BPFR_FORWARD_XDP).packets - xdp_before, 200u);

    lab_->write_config({.protocols = "protocol static extra4 { ipv4; route 10.96.0.0/24 via "
                                     "10.2.0.2; }\n",
                        .daemon_args = daemon_args_});
    auto r = lab_->client({"configure"});
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(lab::wait_until(
        [&] { return lab_->maps().has_route(*Prefix::parse("10.96.0.0/24")); }, 5s))
        << lab_->daemon_log();
    // The reload re-reads the firewall: nft must still get CAP_NET_ADMIN from us.
    EXPECT_EQ(lab_->daemon_log().find("ruleset not read"), std::string::npos)
        << lab_->daemon_log();

    r = lab_->client({"down"});
    EXPECT_TRUE(r.ok()) << r.describe();
    ASSERT_TRUE(lab_->wait_daemon_exit(10s)) << lab_->daemon_log();
    EXPECT_FALSE(lab_->link_pinned("r0")) << lab_->daemon_log();
    EXPECT_FALSE(lab_->xdp_attached("r0"));
  }

  std::vector<std::string> daemon_args_;
  std::unique_ptr<ReliabilityLab> lab_;
};

TEST_F(Privileges, RootDaemonKeepsOnlyTheCapabilitiesItNeeds) {
  lab_->start_daemon();
  expect_only_kept_capabilities();
  EXPECT_EQ(proc_status(lab_->daemon_pid())["Uid"].substr(0, 1), "0");
  expect_working_without_them();
}

TEST_F(Privileges, DaemonUnderAnotherUserKeepsTheSameCapabilities) {
  daemon_args_ = {"-u", "nobody", "-g", "nogroup"};
  lab_->write_config({.daemon_args = daemon_args_});
  lab_->start_daemon();
  auto status = proc_status(lab_->daemon_pid());
  EXPECT_EQ(status["Uid"], fmt::format("{0}\t{0}\t{0}\t{0}", nobody)) << status["Uid"];
  expect_only_kept_capabilities();
  expect_working_without_them();
}

// connect() to a unix socket as uid and gid 65534; the errno it failed with, 0 on success.
int connect_as_nobody(const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(nobody) != 0 || setuid(nobody) != 0)
      _exit(100);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    _exit(rc == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(Privileges, ControlSocketRefusesUsersOutsideItsOwnerAndGroup) {
  lab_->start_daemon();
  struct stat st {};
  ASSERT_EQ(stat(lab_->socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_uid, 0u);

  EXPECT_EQ(connect_as_nobody(lab_->socket().string()), EACCES);
  auto r = lab_->client({"show", "status"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

}  // namespace
}  // namespace bpfr::reliability
