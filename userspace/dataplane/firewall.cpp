#include "dataplane/firewall.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace bpfr::dp {

namespace {

constexpr auto nft_timeout = std::chrono::seconds(5);
constexpr size_t nft_output_max = 64 << 20;

using Json = nlohmann::json;

std::string chain_id(const Json& c, const std::string& name) {
  return fmt::format("{} {} {}", c.value("family", ""), c.value("table", ""), name);
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

FirewallFindings parse_nft_ruleset(std::string_view json) {
  FirewallFindings f;
  Json doc = Json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") ||
      !doc["nftables"].is_array()) {
    f.readable = false;
    f.error = "not the JSON of nft -j list ruleset";
    return f;
  }

  // Base chains first, then the rules in them.
  std::map<std::string, bool> forward_chains;  // id -> drops by policy
  std::set<std::string> nat_chains;
  std::set<std::string> with_rules;
  for (const Json& item : doc["nftables"]) {
    if (!item.is_object())
      continue;
    if (auto c = item.find("chain"); c != item.end() && c->is_object()) {
      std::string id = chain_id(*c, c->value("name", ""));
      if (c->value("type", "") == "nat")
        nat_chains.insert(id);
      else if (c->value("hook", "") == "forward")
        forward_chains[id] = c->value("policy", "accept") == "drop";
    } else if (auto r = item.find("rule"); r != item.end() && r->is_object()) {
      with_rules.insert(chain_id(*r, r->value("chain", "")));
    }
  }
  for (const auto& [id, drops] : forward_chains)
    if (drops || with_rules.count(id))
      f.forward.push_back(id);
  for (const auto& id : nat_chains)
    if (with_rules.count(id))
      f.nat.push_back(id);
  return f;
}

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

bool firewall_allows_fast_path(bool respect) {
  auto f = read_firewall();
  if (!f.readable) {
    spdlog::info("dataplane: firewall not read ({}), assuming no forward or NAT rules", f.error);
    return true;
  }
  if (!f.concerns_forwarding())
    return true;
  std::vector<std::string> chains = f.forward;
  chains.insert(chains.end(), f.nat.begin(), f.nat.end());
  if (!respect) {
    spdlog::warn(
        "dataplane: forward or NAT rules in {} are bypassed by the fast path "
        "(firewall respect off)",
        fmt::join(chains, ", "));
    return true;
  }
  spdlog::warn(
      "dataplane: forward or NAT rules in {}: forwarding stays on the kernel path "
      "so that they apply; `firewall respect off;` in the bpfrouter block overrides",
      fmt::join(chains, ", "));
  return false;
}

}  // namespace bpfr::dp
