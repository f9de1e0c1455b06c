#include "reliability/reliability_lab.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>

#include "trafficgen.h"

namespace bpfr::reliability {

namespace {

std::filesystem::path binary(const char* relative) {
  return std::filesystem::path(BPFR_BINARY_DIR) / relative;
}

}  // namespace

ReliabilityLab::ReliabilityLab()
    : pin_root_(fmt::format("/sys/fs/bpf/{}", lab::unique_name("bpfr-rel"))), maps_(pin_root_) {
  src_ = std::make_unique<lab::Netns>("relsrc");
  rtr_ = std::make_unique<lab::Netns>("relrtr");
  dst_ = std::make_unique<lab::Netns>("reldst");
  left_ = std::make_unique<lab::Veth>(lab::VethEnd{*src_, "s0", {"10.1.0.2/24"}},
                                      lab::VethEnd{*rtr_, "r0", {"10.1.0.1/24"}});
  right_ = std::make_unique<lab::Veth>(lab::VethEnd{*rtr_, "r1", {"10.2.0.1/24"}},
                                       lab::VethEnd{*dst_, "d0", {"10.2.0.2/24"}});
  src_->ip("addr add 10.98.0.1/32 dev lo");
  src_->ip("route add default via 10.1.0.1");
  dst_->ip("addr add 10.99.0.1/32 dev lo");
  dst_->ip("route add default via 10.2.0.1");

  // The kernel's own routes, so traffic still arrives when the fast path lets go of it.
  rtr_->enable_forwarding();
  rtr_->ip("route add 10.99.0.0/24 via 10.2.0.2");
  rtr_->ip("route add 10.98.0.0/24 via 10.1.0.2");

  // A veth takes XDP-redirected frames only when its peer runs an XDP program.
  src_sink_ = std::make_unique<lab::Sink>(*src_, "s0");
  dst_sink_ = std::make_unique<lab::Sink>(*dst_, "d0");
  dir_ = std::make_unique<lab::TempDir>("bpfr-reliability");
  // Other users may reach the control socket; its own mode decides.
  chmod(dir_->path().c_str(), 0755);
  write_config({});
}

ReliabilityLab::~ReliabilityLab() {
  daemon_.reset();
  std::error_code ec;
  std::filesystem::remove_all(pin_root_, ec);
}

void ReliabilityLab::write_config(const LabConfig& c) {
  config_ = c;
  std::ofstream conf(*dir_ / "bird.conf");
  conf << "log stderr all;\n"
       << "router id 10.1.0.1;\n"
       << "protocol device { }\n"
       << "protocol static static4 {\n  ipv4;\n"
       << fmt::format("  route {} via 10.2.0.2;\n", static_dst_v4)
       << fmt::format("  route {} via 10.1.0.2;\n}}\n", static_src_v4) << c.protocols
       << fmt::format("bpfrouter {{\n  pin root \"{}\";\n{}}}\n", pin_root_.string(),
                      c.fast_path);
}

void ReliabilityLab::start_daemon() {
  std::vector<std::string> argv = {binary("userspace/daemon/bpfrouterd").string(), "-f", "-c",
                                   (*dir_ / "bird.conf").string(), "-s", socket().string()};
  argv.insert(argv.end(), config_.daemon_args.begin(), config_.daemon_args.end());
  daemon_ = std::make_unique<lab::Process>(argv, rtr_.get(), *dir_ / "bpfrouterd.log");

  if (!lab::wait_until([&] { return link_pinned("r0") && link_pinned("r1"); }, 15s))
    throw std::runtime_error("bpfrouterd did not attach to r0 and r1:\n" + daemon_log());
  // One next hop per static route; the daemon asks the kernel to resolve them.
  if (!lab::wait_until([&] { return maps_.next_hops_resolved(2); }, 10s))
    throw std::runtime_error("bpfrouterd did not resolve its next hops:\n" + daemon_log());
  if (!lab::wait_until([&] { return daemon_log().find("ready") != std::string::npos; }, 10s))
    throw std::runtime_error("bpfrouterd did not get ready:\n" + daemon_log());
}

void ReliabilityLab::kill_daemon() {
  if (!daemon_)
    return;
  daemon_->signal(SIGKILL);
  daemon_->stop();
}

bool ReliabilityLab::wait_daemon_exit(lab::Duration timeout) {
  return daemon_ && lab::wait_until([&] { return !daemon_->running(); }, timeout, 20ms);
}

void ReliabilityLab::signal_daemon(int sig) {
  if (daemon_)
    kill(daemon_->pid(), sig);
}

pid_t ReliabilityLab::daemon_pid() const {
  return daemon_ ? daemon_->pid() : -1;
}

std::string ReliabilityLab::daemon_log() const {
  return daemon_ ? daemon_->log() : std::string();
}

lab::Result ReliabilityLab::client(std::vector<std::string> args) const {
  args.insert(args.begin(), {binary("userspace/cli/bpfrouter").string(), "-s", socket().string()});
  return lab::run(args, nullptr, 20s);
}

bool ReliabilityLab::link_pinned(const std::string& dev) const {
  return std::filesystem::exists(pin_root_ / "links" / ("xdp_" + dev));
}

bool ReliabilityLab::xdp_attached(const std::string& dev) const {
  auto r = rtr_->run({"ip", "-d", "link", "show", "dev", dev});
  return r.out.find("prog/xdp") != std::string::npos;
}

uint32_t ReliabilityLab::xdp_program(const std::string& dev) const {
  auto out = rtr_->run({"ip", "-d", "link", "show", "dev", dev}).out;
  auto at = out.find("prog/xdp id ");
  return at == std::string::npos ? 0 : uint32_t(std::stoul(out.substr(at + 12)));
}

uint64_t ReliabilityLab::send(const char* destination, uint64_t count, uint64_t pps,
                              uint32_t stream) {
  trafficgen::Options o;
  o.netns_path = src_->path();
  o.dev = "s0";
  o.dst_mac = trafficgen::parse_mac(r0_mac());
  o.src_v4 = *Address::parse("10.98.0.1");
  o.destinations = {*Prefix::parse(destination)};
  o.count = count;
  o.rate_pps = pps;
  o.duration = 10s;
  o.stream = stream;
  return trafficgen::Generator(o).run().sent;
}

}  // namespace bpfr::reliability
