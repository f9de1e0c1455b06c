#include "dataplane/firewall.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

namespace bpfr::dp {

namespace {

constexpr auto nft_timeout = std::chrono::seconds(5);
constexpr size_t nft_output_max = 64 << 20;

// In the child, before exec: a daemon running under -u keeps CAP_NET_ADMIN only in its
// permitted and effective sets, which exec drops; nft needs it to read the ruleset. Raising it
// into the inheritable and ambient sets passes it on. Root children get it from exec anyway.
void pass_net_admin_to_exec() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0)
    return;
  constexpr unsigned bit = 1u << (CAP_NET_ADMIN % 32);
  if (!(data[CAP_NET_ADMIN / 32].permitted & bit))
    return;
  data[CAP_NET_ADMIN / 32].inheritable |= bit;
  if (syscall(SYS_capset, &header, data) == 0)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

// Runs argv, returns its stdout; empty with `error` set on failure or timeout.
std::string run_bounded(const char* const argv[], std::string* error) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    *error = "pipe failed";
    return {};
  }
  pid_t pid = fork();
  if (pid < 0) {
    *error = "fork failed";
    close(pipefd[0]);
    close(pipefd[1]);
    return {};
  }
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
      dup2(devnull, STDERR_FILENO);
    pass_net_admin_to_exec();
    execvp(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  close(pipefd[1]);

  std::string out;
  auto deadline = std::chrono::steady_clock::now() + nft_timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pipefd[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, int(left.count())) <= 0) {
      kill(pid, SIGKILL);
      *error = "timed out";
      break;
    }
    ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, size_t(n));
    if (out.size() > nft_output_max) {
      kill(pid, SIGKILL);
      *error = "output too large";
      break;
    }
  }
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (error->empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    *error = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "nft not found" : "nft failed";
  return error->empty() ? out : std::string();
}

}  // namespace

FirewallFindings read_firewall() {
  const char* argv[] = {"nft", "-j", "list", "ruleset", nullptr};
  std::string error;
  std::string out = run_bounded(argv, &error);
  if (!error.empty()) {
    FirewallFindings f;
    f.readable = false;
    f.error = error;
    return f;
  }
  return parse_nft_ruleset(out);
}

std::vector<uint32_t> resolve_devices(std::string_view pattern) {
  std::vector<uint32_t> out;
  std::string pat(pattern);
  if (struct if_nameindex* names = if_nameindex()) {
    for (auto* n = names; n->if_index != 0; n++)
      if (fnmatch(pat.c_str(), n->if_name, 0) == 0)
        out.push_back(n->if_index);
    if_freenameindex(names);
  }
  return out;
}

namespace {

// Adds the devices a rule names; logs names that match no device now.
void add_devices(const RuleScope& r, const std::vector<std::string>& names,
                 const DeviceResolver& resolve, std::set<uint32_t>& into) {
  for (const auto& name : names) {
    auto found = resolve(name);
    if (found.empty())
      spdlog::info("firewall: rule {} names device {}, which does not exist now", r.rule, name);
    into.insert(found.begin(), found.end());
  }
}

// Adds what one rule names to `kp`, logged; false if the rule may concern any packet.
bool keep_on_kernel_path(const RuleScope& r, const DeviceResolver& resolve, KernelPath& kp) {
  if (!r.any_packet.empty()) {
    spdlog::warn("firewall: rule {} may concern any packet ({})", r.rule, r.any_packet);
    return false;
  }
  spdlog::warn("firewall: rule {} keeps {} on the kernel path", r.rule, r.describe());
  for (const auto& p : r.sources)
    kp.sources.emplace_back(p, r.rule);
  for (const auto& p : r.destinations)
    kp.destinations.emplace_back(p, r.rule);
  add_devices(r, r.in_devices, resolve, kp.in_ifindexes);
  add_devices(r, r.out_devices, resolve, kp.out_ifindexes);
  return true;
}

}  // namespace

KernelPath plan_kernel_path(const FirewallFindings& f, const FirewallPolicy& policy,
                            const DeviceResolver& resolve) {
  KernelPath kp;
  if (!f.readable) {
    spdlog::info("firewall: ruleset not read ({}), assuming no forward or NAT rules", f.error);
    return kp;
  }
  if (!f.concerns_forwarding())
    return kp;
  std::vector<std::string> chains = f.forward;
  chains.insert(chains.end(), f.nat.begin(), f.nat.end());
  if (!policy.respect) {
    spdlog::warn("firewall: rules in {} are bypassed by the fast path (firewall respect off)",
                 fmt::join(chains, ", "));
    return kp;
  }

  auto ignored = [&](std::initializer_list<std::string_view> ids) {
    for (const auto& want : policy.ignore)
      for (auto id : ids)
        if (id == want)
          return true;
    return false;
  };

  bool whole_path = false;
  for (const auto& c : f.dropping_chains) {
    if (ignored({c})) {
      spdlog::warn(
          "firewall: chain {} drops by policy, bypassed by the fast path (ignored in "
          "the bpfrouter block)",
          c);
      continue;
    }
    spdlog::warn("firewall: chain {} drops by policy, so it concerns every packet", c);
    whole_path = true;
  }
  for (const auto& r : f.rules) {
    std::string_view chain = std::string_view(r.rule).substr(0, r.rule.rfind(" handle "));
    if (ignored({r.rule, chain, r.base_chain})) {
      spdlog::warn(
          "firewall: rule {} ({}) is bypassed by the fast path (ignored in the "
          "bpfrouter block)",
          r.rule, r.describe());
      continue;
    }
    whole_path = !keep_on_kernel_path(r, resolve, kp) || whole_path;
  }
  if (whole_path) {
    kp.fast_path = false;
    spdlog::warn(
        "firewall: rules in {}: forwarding stays on the kernel path so that they apply; "
        "`firewall ignore \"CHAIN\";` or `firewall respect off;` in the bpfrouter block "
        "overrides",
        fmt::join(chains, ", "));
  }
  return kp;
}

KernelPath firewall_kernel_path(const FirewallPolicy& policy) {
  return plan_kernel_path(read_firewall(), policy);
}

}  // namespace bpfr::dp
