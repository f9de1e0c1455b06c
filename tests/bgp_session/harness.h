// Test fixtures for sessions against real peers: namespaces that remove themselves, BIRD 2 as
// a child process, an in-memory route sink, and an io_context polled until a condition holds.
#pragma once

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bgp/session.h"

namespace bpfr::bgp::test {

inline int sh(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string capture(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      out.append(buf, n);
    pclose(f);
  }
  return out;
}

inline std::string unique_name(const std::string& what) {
  static int counter = 0;
  return fmt::format("bgps{}{}{}", getpid() % 100000, what, counter++);
}

// A network namespace, removed on destruction.
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {
    sh("ip netns add " + name_);
    sh("ip -n " + name_ + " link set lo up");
  }
  ~Netns() { sh("ip netns del " + name_); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  int run(const std::string& cmd) const { return sh("ip netns exec " + name_ + " " + cmd); }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
};

// Moves the calling thread into a namespace (sockets it opens live there) until destroyed.
class EnterNetns {
 public:
  explicit EnterNetns(const Netns& ns) {
    old_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0)
      close(fd);
  }
  ~EnterNetns() {
    if (old_ >= 0) {
      setns(old_, CLONE_NEWNET);
      close(old_);
    }
  }
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  int old_ = -1;
  bool ok_ = false;
};

// A veth pair between two namespaces, with addresses given as "addr/len" lists.
inline void link_pair(const Netns& a, const std::string& a_if, const Netns& b,
                      const std::string& b_if, const std::vector<std::string>& a_addrs,
                      const std::vector<std::string>& b_addrs) {
  sh(fmt::format("ip link add {} netns {} type veth peer name {} netns {}", a_if, a.name(), b_if,
                 b.name()));
  for (const auto& addr : a_addrs)
    sh(fmt::format("ip -n {} addr add {} dev {} nodad", a.name(), addr, a_if));
  for (const auto& addr : b_addrs)
    sh(fmt::format("ip -n {} addr add {} dev {} nodad", b.name(), addr, b_if));
  sh(fmt::format("ip -n {} link set {} up", a.name(), a_if));
  sh(fmt::format("ip -n {} link set {} up", b.name(), b_if));
}

// BIRD 2 running in a namespace, killed on destruction.
class Bird {
 public:
  Bird(const Netns& ns, std::string config) : ns_(ns.path()), config_text_(std::move(config)) {
    dir_ = std::filesystem::temp_directory_path() / unique_name("bird");
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "bird.conf") << config_text_;
  }
  ~Bird() {
    stop(SIGKILL);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Bird(const Bird&) = delete;
  Bird& operator=(const Bird&) = delete;

  void start(bool graceful_recovery = false) {
    std::string conf = (dir_ / "bird.conf").string();
    std::string sock = socket();
    std::string log = (dir_ / "bird.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::string netarg = "--net=" + ns_;
      if (graceful_recovery)
        execlp("nsenter", "nsenter", netarg.c_str(), "bird", "-f", "-R", "-c", conf.c_str(), "-s",
               sock.c_str(), nullptr);
      else
        execlp("nsenter", "nsenter", netarg.c_str(), "bird", "-f", "-c", conf.c_str(), "-s",
               sock.c_str(), nullptr);
      _exit(127);
    }
  }
  void stop(int sig) {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGCONT);
    kill(pid_, sig);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove(socket(), ec);
  }
  void signal(int sig) const { kill(pid_, sig); }
  std::string birdc(const std::string& cmd) const {
    return capture(fmt::format("birdc -s {} {}", socket(), cmd));
  }
  bool established(const std::string& proto) const {
    return birdc("show protocols " + proto).find("Established") != std::string::npos;
  }
  bool has_route(const std::string& prefix) const {
    return birdc("show route " + prefix).find(prefix) != std::string::npos;
  }
  std::string log() const { return capture("tail -n 30 " + (dir_ / "bird.log").string()); }
  std::string socket() const { return (dir_ / "bird.ctl").string(); }

 private:
  std::string ns_;
  std::string config_text_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// Any program run in a namespace, its output in a log file; killed on destruction.
class Child {
 public:
  Child(const Netns& ns, std::vector<std::string> argv, std::string log) : log_(std::move(log)) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<std::string> args = {"nsenter", "--net=" + ns.path()};
      args.insert(args.end(), argv.begin(), argv.end());
      std::vector<char*> cargs;
      for (auto& a : args)
        cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execvp(cargs[0], cargs.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  std::string log() const { return capture("tail -n 30 " + log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// Routes as the session handed them over.
class MemorySink : public RouteSink {
 public:
  struct Route {
    AttrsRef attrs;
    RouteNextHop next_hop;
    std::string peer;
  };

  void announce(const PeerInfo& peer, const Prefix& p, AttrsRef attrs,
                const RouteNextHop& nh) override {
    routes[p] = Route{std::move(attrs), nh, peer.name};
    ++announcements;
  }
  void withdraw(const PeerInfo&, const Prefix& p) override {
    routes.erase(p);
    ++withdrawals;
  }
  void end_of_rib(const PeerInfo&, Family f) override { ++end_of_ribs[f]; }
  bool ready() const override { return accepting; }
  bool has(const char* prefix) const { return routes.contains(*Prefix::parse(prefix)); }
  const Route* find(const char* prefix) const {
    auto it = routes.find(*Prefix::parse(prefix));
    return it == routes.end() ? nullptr : &it->second;
  }

  std::map<Prefix, Route> routes;
  std::map<Family, int> end_of_ribs;
  int announcements = 0;
  int withdrawals = 0;
  bool accepting = true;  // false: back-pressure, sessions stop reading
};

// Runs the io_context until pred() holds or the timeout passes.
inline bool run_until(asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  return pred();
}

inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  run_until(
      io, [] { return false; }, d);
}

}  // namespace bpfr::bgp::test
