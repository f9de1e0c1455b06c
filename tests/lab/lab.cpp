#include "lab/lab.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sink.skel.h"

namespace bpfr::lab {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

std::string errno_text(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

// Runs in a forked child: join the namespace, or exit 127 with a message on stderr.
void child_enter_netns(const Netns* ns) {
  if (!ns) {
    return;
  }
  int fd = open(ns->path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    dprintf(2, "lab: cannot enter %s: %s\n", ns->path().c_str(), std::strerror(errno));
    _exit(127);
  }
  close(fd);
}

[[noreturn]] void child_exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  execvp(args[0], args.data());
  dprintf(2, "lab: cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    s += (s.empty() ? "" : " ") + a;
  }
  return s;
}

// Waits for pid until the deadline; returns true and the status once it exited.
bool wait_child(pid_t pid, Clock::time_point deadline, int* status) {
  while (true) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
}

void read_available(int fd, std::string* into, bool* open) {
  std::array<char, 65536> buf;
  ssize_t n = read(fd, buf.data(), buf.size());
  if (n > 0) {
    into->append(buf.data(), n);
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    *open = false;
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string Result::describe() const {
  return fmt::format("exit {}; stdout: {}; stderr: {}", exit_code, out, err);
}

Result run(const std::vector<std::string>& argv, const Netns* ns, Duration timeout) {
  int out_pipe[2], err_pipe[2];
  if (argv.empty()) {
    fail("lab: run with no command");
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    fail(errno_text("lab: pipe"));
  }
  pid_t pid = fork();
  if (pid < 0) {
    fail(errno_text("lab: fork"));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    child_enter_netns(ns);
    child_exec(argv);
  }
  setpgid(pid, pid);
  close(out_pipe[1]);
  close(err_pipe[1]);

  Result result;
  auto deadline = Clock::now() + timeout;
  bool out_open = true, err_open = true, timed_out = false;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    std::array<pollfd, 2> fds{
        {{out_open ? out_pipe[0] : -1, POLLIN, 0}, {err_open ? err_pipe[0] : -1, POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left, 100))) < 0 &&
        errno != EINTR) {
      break;
    }
    if (fds[0].revents) {
      read_available(out_pipe[0], &result.out, &out_open);
    }
    if (fds[1].revents) {
      read_available(err_pipe[0], &result.err, &err_open);
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);

  int status = 0;
  if (timed_out || !wait_child(pid, deadline, &status)) {
    kill(-pid, SIGKILL);
    wait_child(pid, Clock::now() + 5s, &status);
    result.err += fmt::format("\nlab: `{}` timed out after {} ms", join(argv), timeout.count());
    result.exit_code = -1;
    return result;
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Result sh(const std::string& script, const Netns* ns, Duration timeout) {
  return run({"/bin/sh", "-c", script}, ns, timeout);
}

std::string check(const Result& result, std::string_view what) {
  if (!result.ok()) {
    fail(fmt::format("lab: {} failed: {}", what, result.describe()));
  }
  return result.out;
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}-{}-{}", prefix, getpid(), ++counter);
}

bool wait_until(const std::function<bool()>& done, Duration timeout, Duration interval) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(interval);
  }
}

bool have_privileges() {
  return geteuid() == 0 && access("/usr/bin/nsenter", X_OK) == 0;
}

// Netns

Netns::Netns(std::string_view prefix) : name_(unique_name(prefix)) {
  check(lab::run({"ip", "netns", "add", name_}), "ip netns add " + name_);
  try {
    ip("link set lo up");
  } catch (...) {
    lab::run({"ip", "netns", "del", name_});
    throw;
  }
}

Netns::~Netns() {
  // Deleting the namespace removes its devices; its processes are owned by Process objects.
  if (owned_) {
    lab::run({"ip", "netns", "del", name_}, nullptr, 30s);
  }
}

std::unique_ptr<Netns> Netns::existing(const std::string& name) {
  if (!std::filesystem::exists("/run/netns/" + name)) {
    fail("lab: no namespace " + name);
  }
  std::unique_ptr<Netns> ns(new Netns());
  ns->name_ = name;
  ns->owned_ = false;
  return ns;
}

Result Netns::run(const std::vector<std::string>& argv, Duration timeout) const {
  return lab::run(argv, this, timeout);
}

Result Netns::sh(const std::string& script, Duration timeout) const {
  return lab::sh(script, this, timeout);
}

std::string Netns::ip(const std::string& args) const {
  return check(sh("ip " + args), fmt::format("ip {} in {}", args, name_));
}

void Netns::sysctl(const std::string& key, const std::string& value) const {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin(), path.end(), '.', '/');
  check(sh(fmt::format("echo '{}' > '{}'", value, path)),
        fmt::format("sysctl {}={} in {}", key, value, name_));
}

void Netns::enable_forwarding() const {
  sysctl("net.ipv4.ip_forward", "1");
  sysctl("net.ipv6.conf.all.forwarding", "1");
  sysctl("net.ipv6.conf.default.forwarding", "1");
}

std::map<std::string, uint64_t> Netns::snmp() const {
  std::map<std::string, uint64_t> counters;
  std::istringstream snmp(check(run({"cat", "/proc/net/snmp"}), "reading /proc/net/snmp"));

  // /proc/net/snmp: a line of names then a line of values, both starting with "Proto:".
  std::string names, values;
  while (std::getline(snmp, names) && std::getline(snmp, values)) {
    std::istringstream n(names), v(values);
    std::string proto, name, value;
    n >> proto;
    v >> value;
    proto.pop_back();
    while (n >> name && v >> value) {
      counters[proto + "." + name] = std::strtoull(value.c_str(), nullptr, 10);
    }
  }

  // /proc/net/snmp6: "Name value" per line.
  std::istringstream snmp6(check(run({"cat", "/proc/net/snmp6"}), "reading /proc/net/snmp6"));
  std::string name;
  uint64_t value;
  while (snmp6 >> name >> value) {
    counters[name] = value;
  }
  return counters;
}

uint64_t Netns::counter(const std::string& name) const {
  auto all = snmp();
  auto it = all.find(name);
  return it == all.end() ? 0 : it->second;
}

int Netns::ifindex(const std::string& dev) const {
  NetnsEnter enter(*this);
  int index = static_cast<int>(if_nametoindex(dev.c_str()));
  if (index == 0) {
    fail(fmt::format("lab: no device {} in {}", dev, name_));
  }
  return index;
}

std::string Netns::mac(const std::string& dev) const {
  auto json = nlohmann::json::parse(check(run({"ip", "-j", "link", "show", "dev", dev}),
                                          fmt::format("ip link show {} in {}", dev, name_)));
  return json.at(0).at("address").get<std::string>();
}

// NetnsEnter

NetnsEnter::NetnsEnter(const Netns& ns) : NetnsEnter(ns.path()) {}

NetnsEnter::NetnsEnter(const std::string& netns_path) {
  saved_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_fd_ < 0) {
    fail(errno_text("lab: open /proc/thread-self/ns/net"));
  }
  int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    std::string msg = errno_text("lab: enter " + netns_path);
    if (fd >= 0) {
      close(fd);
    }
    close(saved_fd_);
    fail(msg);
  }
  close(fd);
}

NetnsEnter::~NetnsEnter() {
  // Going back cannot fail for a namespace we were in; if it did, the thread would be stranded.
  if (setns(saved_fd_, CLONE_NEWNET) != 0) {
    std::abort();
  }
  close(saved_fd_);
}

// Veth

namespace {

void configure_end(const VethEnd& end) {
  if (!end.mac.empty()) {
    end.ns.ip(fmt::format("link set {} address {}", end.dev, end.mac));
  }
  for (const auto& addr : end.addrs) {
    bool v6 = addr.find(':') != std::string::npos;
    end.ns.ip(fmt::format("addr add {} dev {}{}", addr, end.dev, v6 ? " nodad" : ""));
  }
  end.ns.ip(fmt::format("link set {} up", end.dev));
}

}  // namespace

Veth::Veth(const VethEnd& a, const VethEnd& b) : ns_a_(a.ns.name()), dev_a_(a.dev) {
  a.ns.ip(fmt::format("link add {} type veth peer name {} netns {}", a.dev, b.dev, b.ns.name()));
  try {
    configure_end(a);
    configure_end(b);
    ifindex_a_ = a.ns.ifindex(a.dev);
    ifindex_b_ = b.ns.ifindex(b.dev);
    mac_a_ = a.ns.mac(a.dev);
    mac_b_ = b.ns.mac(b.dev);
  } catch (...) {
    a.ns.run({"ip", "link", "del", a.dev});
    throw;
  }
}

Veth::~Veth() {
  // The namespace may be gone already, taking the pair with it.
  lab::run({"ip", "-n", ns_a_, "link", "del", dev_a_}, nullptr, 10s);
}

// Process

Process::Process(const std::vector<std::string>& argv, const Netns* ns,
                 std::filesystem::path log_path)
    : log_path_(std::move(log_path)) {
  if (argv.empty()) {
    fail("lab: Process with no command");
  }
  if (log_path_.empty()) {
    log_path_ =
        std::filesystem::temp_directory_path() /
        (unique_name("bpfr-lab-" + std::filesystem::path(argv[0]).filename().string()) + ".log");
    owns_log_ = true;
  }
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    fail(errno_text("lab: open " + log_path_.string()));
  }
  pid_ = fork();
  if (pid_ < 0) {
    close(log_fd);
    fail(errno_text("lab: fork"));
  }
  if (pid_ == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    child_enter_netns(ns);
    child_exec(argv);
  }
  setpgid(pid_, pid_);
  close(log_fd);
}

Process::~Process() {
  stop();
  if (owns_log_) {
    std::error_code ec;
    std::filesystem::remove(log_path_, ec);
  }
}

bool Process::running() {
  if (pid_ < 0) {
    return false;
  }
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    // The leader is gone; end whatever it left in its group.
    kill(-pid_, SIGKILL);
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::signal(int sig) const {
  if (pid_ > 0) {
    kill(-pid_, sig);
  }
}

int Process::stop(Duration grace) {
  if (!running()) {
    return status_;
  }
  kill(-pid_, SIGTERM);
  int status = -1;
  if (!wait_child(pid_, Clock::now() + grace, &status)) {
    kill(-pid_, SIGKILL);
    wait_child(pid_, Clock::now() + 5s, &status);
  }
  kill(-pid_, SIGKILL);
  pid_ = -1;
  status_ = status;
  return status;
}

std::string Process::log() const {
  return read_file(log_path_);
}

// TempFile, TempDir

TempDir::TempDir(std::string_view prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / fmt::format("{}-XXXXXX", prefix));
  if (!mkdtemp(tmpl.data())) {
    fail(errno_text("lab: mkdtemp " + tmpl));
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TempFile::TempFile(std::string_view content, std::string_view name) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bpfr-lab-XXXXXX");
  if (!mkdtemp(tmpl.data())) {
    fail(errno_text("lab: mkdtemp " + tmpl));
  }
  dir_ = tmpl;
  path_ = dir_ / name;
  std::ofstream out(path_);
  out << content;
  if (!out.flush()) {
    fail("lab: cannot write " + path_.string());
  }
}

TempFile::~TempFile() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// Bird

Bird::Bird(const Netns& ns, const std::string& config) : dir_("bpfr-bird") {
  socket_ = dir_ / "bird.ctl";
  {
    std::ofstream out(dir_ / "bird.conf");
    out << config;
  }
  auto conf = (dir_ / "bird.conf").string();
  check(lab::run({"bird", "-p", "-c", conf}), "bird -p (the configuration does not parse)");
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"bird", "-f", "-c", conf, "-s", socket_.string(), "-P",
                               (dir_ / "bird.pid").string()},
      &ns, dir_ / "bird.log");
}

Bird::~Bird() {
  process_->stop();
}

Result Bird::birdc(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"birdc", "-s", socket_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = lab::run(argv, nullptr, 30s);
  if (r.out.rfind("BIRD ", 0) == 0) {
    r.out.erase(0, r.out.find('\n') + 1);
  }
  return r;
}

bool Bird::wait_ready(Duration timeout) const {
  return wait_until([&] { return birdc({"show", "status"}).ok(); }, timeout, 50ms);
}

uint64_t Bird::route_count() const {
  auto r = birdc({"show", "route", "count"});
  if (!r.ok()) {
    return 0;
  }
  // "N of M routes for K networks in table T" per table, or "Total: N of M routes ..." last.
  uint64_t sum = 0;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    unsigned long long n = 0;
    if (std::sscanf(line.c_str(), "Total: %llu of", &n) == 1) {
      return n;
    }
    if (std::sscanf(line.c_str(), "%llu of", &n) == 1) {
      sum += n;
    }
  }
  return sum;
}

std::string Bird::protocol_state(const std::string& protocol) const {
  auto r = birdc({"show", "protocols", protocol});
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string name, proto, table, state, since, info;
    f >> name >> proto >> table >> state >> since;
    if (name == protocol) {
      std::getline(f, info);
      auto first = info.find_first_not_of(' ');
      return state + " " + (first == std::string::npos ? "" : info.substr(first));
    }
  }
  return "";
}

bool Bird::wait_established(const std::string& protocol, Duration timeout) const {
  return wait_until(
      [&] { return protocol_state(protocol).find("Established") != std::string::npos; }, timeout,
      100ms);
}

// GuideLab

namespace {

std::vector<std::string> lab_script_env(const std::string& name) {
  // Interface names of at most 15 characters, unique per process.
  auto tag = std::to_string(getpid() % 1000000);
  return {"env", "LAB=" + name, "LAB_STATE=/run/bpfrouter-lab/" + name, "WG_ROUTER_IF=wgr" + tag,
          "WG_CLIENT_IF=wgc" + tag};
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) {
    if (w != "-") {
      words.push_back(w);
    }
  }
  return words;
}

}  // namespace

GuideLab::GuideLab(Options options) : name_(fmt::format("{}-{}", options.prefix, getpid())) {
  auto argv = lab_script_env(name_);
  argv.insert(argv.end(),
              {BPFR_LAB_TOOLS_DIR "/lab/up.sh", "--limit", std::to_string(options.limit), "--table",
               options.table, "--hosts", std::to_string(options.hosts)});
  if (options.standin) {
    argv.push_back("--standin");
  }
  if (!options.daemon.empty()) {
    argv.insert(argv.end(), {"--daemon", options.daemon});
  }
  auto r = lab::run(argv, nullptr, options.timeout);
  up_output_ = r.out + r.err;
  if (!r.ok()) {
    down();
    fail("lab: up.sh failed: " + r.describe());
  }
  try {
    read_env();
  } catch (...) {
    down();
    throw;
  }
}

void GuideLab::read_env() {
  std::ifstream in("/run/bpfrouter-lab/" + name_ + "/lab.env");
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    env_[line.substr(0, eq)] = value;
  }
  internet_ = Netns::existing(env("NS_INTERNET"));
  transit_ = Netns::existing(env("NS_TRANSIT"));
  router_ = Netns::existing(env("NS_ROUTER"));
  client_ = Netns::existing(env("NS_CLIENT"));
}

GuideLab::~GuideLab() {
  down();
}

void GuideLab::down() {
  auto argv = lab_script_env(name_);
  argv.push_back(BPFR_LAB_TOOLS_DIR "/lab/down.sh");
  lab::run(argv, nullptr, 60s);
}

std::string GuideLab::env(const std::string& key) const {
  auto it = env_.find(key);
  if (it == env_.end()) {
    fail("lab: no " + key + " in lab.env");
  }
  return it->second;
}

std::vector<std::string> GuideLab::hosts_v4() const {
  return split_words(env("HOSTS_V4"));
}
std::vector<std::string> GuideLab::hosts_v6() const {
  return split_words(env("HOSTS_V6"));
}

Result GuideLab::transit_birdc(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"birdc", "-s", env("TRANSIT_CTL")};
  argv.insert(argv.end(), args.begin(), args.end());
  return lab::run(argv, nullptr, 30s);
}

Result GuideLab::router_birdc(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"birdc", "-s", env("ROUTER_CTL")};
  argv.insert(argv.end(), args.begin(), args.end());
  return lab::run(argv, nullptr, 30s);
}

// Sink

std::string SequenceReport::str() const {
  return fmt::format("received {}, unique {}, lost {}, duplicates {}, reordered {}, too old {}",
                     received, unique, lost, duplicates, reordered, too_old);
}

Sink::Sink(const Netns& ns, const std::string& dev, SinkOptions options)
    : Sink(ns.path(), dev, options) {}

Sink::Sink(const std::string& netns_path, const std::string& dev, SinkOptions options)
    : netns_path_(netns_path) {
  {
    NetnsEnter enter(netns_path_);
    ifindex_ = static_cast<int>(if_nametoindex(dev.c_str()));
  }
  if (ifindex_ == 0) {
    fail(fmt::format("lab: no device {} in {}", dev, netns_path_));
  }
  skel_ = sink_bpf__open();
  if (!skel_) {
    fail(errno_text("lab: open sink.bpf.o"));
  }
  skel_->rodata->drop_frames = options.drop ? 1 : 0;
  skel_->rodata->watch_stream = options.stream;
  if (sink_bpf__load(skel_) != 0) {
    sink_bpf__destroy(skel_);
    fail(errno_text("lab: load sink.bpf.o"));
  }
  NetnsEnter enter(netns_path_);
  int err =
      bpf_xdp_attach(ifindex_, bpf_program__fd(skel_->progs.xdp_sink), XDP_FLAGS_DRV_MODE, nullptr);
  if (err != 0) {
    sink_bpf__destroy(skel_);
    fail(fmt::format("lab: attach sink to {} in {}: {}", dev, netns_path_, std::strerror(-err)));
  }
}

Sink::~Sink() {
  // The namespace may be gone, and the program with its device.
  try {
    NetnsEnter enter(netns_path_);
    bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, nullptr);
  } catch (const std::exception&) {
  }
  sink_bpf__destroy(skel_);
}

BareRedirect::BareRedirect(const Netns& ns, const std::string& dev, const std::string& to_dev)
    : netns_path_(ns.path()), ifindex_(ns.ifindex(dev)) {
  skel_ = sink_bpf__open();
  if (!skel_) {
    fail(errno_text("lab: open sink.bpf.o"));
  }
  skel_->rodata->redirect_ifindex = static_cast<uint32_t>(ns.ifindex(to_dev));
  if (sink_bpf__load(skel_) != 0) {
    sink_bpf__destroy(skel_);
    fail(errno_text("lab: load sink.bpf.o"));
  }
  NetnsEnter enter(ns);
  int err = bpf_xdp_attach(ifindex_, bpf_program__fd(skel_->progs.xdp_redirect_bare),
                           XDP_FLAGS_DRV_MODE, nullptr);
  if (err != 0) {
    sink_bpf__destroy(skel_);
    fail(fmt::format("lab: attach redirect to {} in {}: {}", dev, ns.name(), std::strerror(-err)));
  }
}

BareRedirect::~BareRedirect() {
  try {
    NetnsEnter enter(netns_path_);
    bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, nullptr);
  } catch (const std::exception&) {
  }
  sink_bpf__destroy(skel_);
}

bpfr_sink_stats Sink::stats() const {
  bpfr_sink_stats s{};
  uint32_t key = 0;
  bpf_map_lookup_elem(bpf_map__fd(skel_->maps.sink_stats), &key, &s);
  return s;
}

SequenceReport Sink::sequence(uint64_t sent) const {
  auto s = stats();
  SequenceReport r;
  r.received = s.probes;
  r.duplicates = s.duplicates;
  r.reordered = s.reordered;
  r.too_old = s.too_old;
  r.unique = s.probes - s.duplicates;
  r.lost = sent > r.unique ? sent - r.unique : 0;
  return r;
}

void Sink::reset() {
  uint32_t key = 0;
  bpfr_sink_stats zero{};
  bpf_map_update_elem(bpf_map__fd(skel_->maps.sink_stats), &key, &zero, BPF_ANY);

  // Array maps cannot delete; write zeros over the window in batches.
  int fd = bpf_map__fd(skel_->maps.seen_seqs);
  constexpr uint32_t kBatch = 4096;
  std::vector<uint32_t> keys(kBatch);
  std::vector<uint64_t> values(kBatch, 0);
  for (uint32_t start = 0; start < BPFR_SINK_SEQ_WINDOW; start += kBatch) {
    for (uint32_t i = 0; i < kBatch; i++) {
      keys[i] = start + i;
    }
    uint32_t count = kBatch;
    if (bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr) != 0) {
      for (uint32_t i = 0; i < kBatch; i++) {
        bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY);
      }
    }
  }
}

}  // namespace bpfr::lab
