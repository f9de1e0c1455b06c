// The lab: network namespaces, veth links, processes and an XDP sink for integration tests.
//
// Everything here cleans up after itself on destruction, including when a test fails half way,
// so a failed run leaves no namespaces, processes or XDP programs behind. Setup failures throw
// std::runtime_error with the command and its output; gtest reports them as test failures.
//
// A typical test:
//
//   bpfr::lab::Netns left("fwd"), right("fwd");            // "fwd-<pid>-1", "fwd-<pid>-2"
//   bpfr::lab::Veth link({left, "eth0", {"10.0.0.1/24", "fd00::1/64"}},
//                        {right, "eth0", {"10.0.0.2/24", "fd00::2/64"}});
//   bpfr::lab::Sink sink(right, "eth0");                   // counts, passes, checks sequences
//   EXPECT_TRUE(left.run({"ping", "-c1", "-W1", "10.0.0.2"}).ok());
//   EXPECT_TRUE(bpfr::lab::wait_until([&] { return sink.stats().packets > 0; }, 2s));
//
// Commands run in a namespace the way `nsenter --net=/run/netns/NAME` runs them: only the network
// namespace changes, so /sys and pinned BPF objects under /sys/fs/bpf stay visible.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrouter/probe.h"

struct sink_bpf;

namespace bpfr::lab {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;

// What a finished command left: its exit code (-1 if killed or timed out) and its output.
struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0; }
  std::string describe() const;  // "exit 1; stdout: ...; stderr: ..." for failure messages
};

class Netns;

// Runs argv without a shell, in `ns` when given, and waits at most `timeout` (then kills it).
Result run(const std::vector<std::string>& argv, const Netns* ns = nullptr, Duration timeout = 60s);
// Runs `/bin/sh -c script`.
Result sh(const std::string& script, const Netns* ns = nullptr, Duration timeout = 60s);
// Throws with the command and its output unless it exited 0; returns its stdout.
std::string check(const Result& result, std::string_view what);

// A name unique on this machine and in this process: "<prefix>-<pid>-<n>".
std::string unique_name(std::string_view prefix);

// Polls `done` every `interval` until it returns true (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& done, Duration timeout, Duration interval = 10ms);

// A named network namespace, /run/netns/<name>, deleted with everything in it on destruction.
// Its loopback is up. Not copyable; hold it in a std::unique_ptr to move it.
class Netns {
 public:
  explicit Netns(std::string_view prefix);
  ~Netns();
  // A namespace someone else made and will delete (a script, GuideLab): not deleted here.
  static std::unique_ptr<Netns> existing(const std::string& name);
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

  Result run(const std::vector<std::string>& argv, Duration timeout = 60s) const;
  Result sh(const std::string& script, Duration timeout = 60s) const;
  // `ip ARGS` in this namespace; throws on failure. Example: ns.ip("route add default
  // via 10.0.0.1").
  std::string ip(const std::string& args) const;
  // Writes /proc/sys/<key with dots as slashes> in this namespace; throws on failure.
  void sysctl(const std::string& key, const std::string& value) const;
  // Forwarding on for both families, on every device.
  void enable_forwarding() const;

  // Counters of /proc/net/snmp as "Ip.ForwDatagrams", "Udp.InDatagrams", ... and of
  // /proc/net/snmp6 as "Ip6OutForwDatagrams", ..., read inside this namespace.
  std::map<std::string, uint64_t> snmp() const;
  // One counter from either file; 0 when it does not exist.
  uint64_t counter(const std::string& name) const;

  int ifindex(const std::string& dev) const;      // throws if there is no such device
  std::string mac(const std::string& dev) const;  // "aa:bb:cc:dd:ee:ff"

 private:
  Netns() = default;
  std::string name_;
  bool owned_ = true;
};

// Switches the calling thread into a namespace and back on destruction, for calls that act on
// the caller's namespace (attaching XDP, BPF_PROG_TEST_RUN with an ifindex, sockets).
class NetnsEnter {
 public:
  explicit NetnsEnter(const Netns& ns);
  explicit NetnsEnter(const std::string& netns_path);
  ~NetnsEnter();
  NetnsEnter(const NetnsEnter&) = delete;
  NetnsEnter& operator=(const NetnsEnter&) = delete;

 private:
  int saved_fd_ = -1;
};

// One end of a veth pair: namespace, device name and addresses ("10.0.0.1/24", "fd00::1/64";
// IPv6 addresses skip duplicate address detection so they work at once). An empty mac keeps
// the random one.
struct VethEnd {
  const Netns& ns;
  std::string dev;
  std::vector<std::string> addrs = {};
  std::string mac = {};
};

// A veth pair between two namespaces, both ends up. Deleted on destruction.
class Veth {
 public:
  Veth(const VethEnd& a, const VethEnd& b);
  ~Veth();
  Veth(const Veth&) = delete;
  Veth& operator=(const Veth&) = delete;

  int ifindex_a() const { return ifindex_a_; }
  int ifindex_b() const { return ifindex_b_; }
  const std::string& mac_a() const { return mac_a_; }
  const std::string& mac_b() const { return mac_b_; }

 private:
  std::string ns_a_, dev_a_;
  int ifindex_a_ = 0, ifindex_b_ = 0;
  std::string mac_a_, mac_b_;
};

// A background process, in a namespace when given, in its own process group, with stdout and
// stderr written to a log file. Stopped (SIGTERM, then SIGKILL after 3 s) on destruction, and
// killed by the kernel if the thread that started it ends (PR_SET_PDEATHSIG): start it from the
// test's main thread, or from a thread that outlives it.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const Netns* ns = nullptr,
          std::filesystem::path log_path = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Stops the process group; returns the exit status as from waitpid, or -1 if already reaped.
  int stop(Duration grace = 3s);
  // Sends a signal to the process group.
  void signal(int sig) const;
  const std::filesystem::path& log_path() const { return log_path_; }
  std::string log() const;  // the log so far, for failure messages

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool owns_log_ = false;
  std::filesystem::path log_path_;
};

// A file with the given content under a fresh temporary directory; both removed on destruction.
class TempFile {
 public:
  explicit TempFile(std::string_view content, std::string_view name = "file");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_, path_;
};

// A fresh temporary directory, removed with its content on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "bpfr-lab");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// BIRD 2 in a namespace with its own control socket and the given configuration, for peers and
// feeders in tests. Stopped on destruction. Its log is in process().log().
class Bird {
 public:
  Bird(const Netns& ns, const std::string& config);
  ~Bird();
  Bird(const Bird&) = delete;
  Bird& operator=(const Bird&) = delete;

  // `birdc -s SOCKET ARGS...`; the "BIRD x.y ready." line is cut.
  Result birdc(const std::vector<std::string>& args) const;
  // Routes counted by `show route count` (all tables); 0 if BIRD does not answer.
  uint64_t route_count() const;
  // The protocol's state column plus info, e.g. "up Established" or "start Connect".
  std::string protocol_state(const std::string& protocol) const;
  // Waits until `show protocols NAME` says Established.
  bool wait_established(const std::string& protocol, Duration timeout) const;
  // Waits until BIRD answers on its socket.
  bool wait_ready(Duration timeout) const;
  const std::filesystem::path& socket() const { return socket_; }
  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::filesystem::path socket_;
  std::unique_ptr<Process> process_;
};

struct SinkOptions {
  bool drop = false;    // XDP_DROP instead of XDP_PASS (a receiver that costs the kernel nothing)
  uint32_t stream = 0;  // check sequence numbers of this generator stream only; 0: any
};

// What a receiver made of a sequence-numbered stream of `sent` probes.
struct SequenceReport {
  uint64_t received = 0;  // probes seen, duplicates included
  uint64_t unique = 0;
  uint64_t lost = 0;  // sent - unique
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t too_old = 0;
  std::string str() const;
};

// bpf/sink.bpf.c attached in native mode to a device in a namespace: counts every frame,
// checks the sequence numbers of struct bpfr_probe payloads, and passes (or drops) the frame.
// It also gives a veth the XDP program it needs to accept XDP-redirected frames.
class Sink {
 public:
  Sink(const Netns& ns, const std::string& dev, SinkOptions options = {});
  // A namespace made elsewhere, by its path (/run/netns/NAME).
  Sink(const std::string& netns_path, const std::string& dev, SinkOptions options = {});
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  bpfr_sink_stats stats() const;
  SequenceReport sequence(uint64_t sent) const;
  void reset();  // counters and remembered sequence numbers to zero
  int ifindex() const { return ifindex_; }

 private:
  std::string netns_path_;
  int ifindex_ = 0;
  sink_bpf* skel_ = nullptr;
};

// The ceiling of a forwarding benchmark: an XDP program on `dev` that redirects every frame out
// of `to_dev` (same namespace) and does nothing else.
class BareRedirect {
 public:
  BareRedirect(const Netns& ns, const std::string& dev, const std::string& to_dev);
  ~BareRedirect();
  BareRedirect(const BareRedirect&) = delete;
  BareRedirect& operator=(const BareRedirect&) = delete;

 private:
  std::string netns_path_;
  int ifindex_ = 0;
  sink_bpf* skel_ = nullptr;
};

// Lets a veth accept XDP-redirected frames without counting anything: a bare XDP_PASS program.
inline std::unique_ptr<Sink> attach_pass(const Netns& ns, const std::string& dev) {
  return std::make_unique<Sink>(ns, dev);
}

// The guide's network from tools/lab/up.sh (see tools/lab/lib.sh for the picture), torn down
// with tools/lab/down.sh on destruction. Names are unique to this process ("<prefix>-<pid>").
class GuideLab {
 public:
  struct Options {
    std::string prefix = "glab";
    size_t limit = 1000;        // prefixes per family from the table feeder; 0: whole table
    std::string table = "lab";  // or "full"
    int hosts = 2;              // internet hosts per family
    bool standin = false;       // BIRD in the router namespace in place of bpfrouterd
    std::string daemon = {};    // this bpfrouterd in the router namespace (up.sh --daemon)
    Duration timeout = 600s;    // for up.sh
  };
  explicit GuideLab(Options options);
  ~GuideLab();
  GuideLab(const GuideLab&) = delete;
  GuideLab& operator=(const GuideLab&) = delete;

  // A variable of $LAB_STATE/lab.env: NS_ROUTER, ROUTER_CONF, HOSTS_V6, ROUTES_V4, ...
  std::string env(const std::string& key) const;
  std::vector<std::string> hosts_v4() const;
  std::vector<std::string> hosts_v6() const;
  const Netns& internet() const { return *internet_; }
  const Netns& transit() const { return *transit_; }
  const Netns& router() const { return *router_; }
  const Netns& client() const { return *client_; }
  // `birdc` on the transit's BIRD (and on the router's stand-in, when started).
  Result transit_birdc(const std::vector<std::string>& args) const;
  Result router_birdc(const std::vector<std::string>& args) const;
  const std::string& up_output() const { return up_output_; }

 private:
  void read_env();
  void down();
  std::string name_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Netns> internet_, transit_, router_, client_;
  std::string up_output_;
};

// Whether the machine can run the lab (root, /run/netns writable); tests GTEST_SKIP otherwise.
bool have_privileges();

}  // namespace bpfr::lab
