#include "integration/router_lab.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace bpfr::integration {

namespace {

std::filesystem::path daemon_binary() {
  return std::filesystem::path(BPFR_BINARY_DIR) / "userspace/daemon/bpfrouterd";
}

}  // namespace

// ---- pinned maps ----

int PinnedMaps::open(const char* map) const {
  std::string path = (root_ / (std::string(map) + "_v1")).string();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0)
    throw std::runtime_error("cannot open pinned map " + path);
  return fd;
}

bool PinnedMaps::has_route(const Prefix& p) const {
  int fd = open(p.addr.is_v4() ? "routes_v4" : "routes_v6");
  uint8_t key[20] = {};
  uint32_t len = p.len;
  std::memcpy(key, &len, 4);
  std::memcpy(key + 4, p.addr.bytes.data(), p.addr.size());
  bpfr_route_value v{};
  // Exact match: the trie's lookup is longest-match, so compare what it found.
  bool found = bpf_map_lookup_elem(fd, key, &v) == 0;
  if (found) {
    auto slot = slot_of(p);
    found = slot && v.slot == *slot && slot_state(*slot) == BPFR_SLOT_LIVE;
  }
  close(fd);
  return found;
}

std::optional<uint32_t> PinnedMaps::slot_of(const Prefix& p) const {
  int fd = open("slot_prefixes");
  std::optional<uint32_t> out;
  bpfr_slot_prefix row{};
  for (uint32_t slot = 1; slot < 1024 && !out; slot++) {
    if (bpf_map_lookup_elem(fd, &slot, &row) != 0 || row.state == BPFR_SLOT_FREE)
      continue;
    auto family = row.family == 4 ? Family::v4 : Family::v6;
    if (Prefix::make(Address::from_bytes(family, row.addr), row.prefixlen) == p)
      out = slot;
  }
  close(fd);
  return out;
}

uint8_t PinnedMaps::slot_state(uint32_t slot) const {
  int fd = open("slot_prefixes");
  bpfr_slot_prefix row{};
  bpf_map_lookup_elem(fd, &slot, &row);
  close(fd);
  return row.state;
}

namespace {

template <typename T>
std::vector<T> read_percpu(int fd, uint32_t key) {
  std::vector<T> v(static_cast<size_t>(libbpf_num_possible_cpus()));
  if (bpf_map_lookup_elem(fd, &key, v.data()) != 0)
    v.clear();
  close(fd);
  return v;
}

}  // namespace

bpfr_counter PinnedMaps::route_counter(const Prefix& p) const {
  bpfr_counter sum{};
  auto slot = slot_of(p);
  if (!slot)
    return sum;
  for (const auto& c : read_percpu<bpfr_counter>(open("route_stats"), *slot)) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

bpfr_counter PinnedMaps::reason_counter(uint32_t reason) const {
  bpfr_counter sum{};
  for (const auto& c : read_percpu<bpfr_counter>(open("reason_stats"), reason)) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

bpfr_iface_counters PinnedMaps::iface_counter(uint32_t ifindex) const {
  bpfr_iface_counters sum{};
  int fd = open("ifaces");
  bpfr_iface row{};
  bool found = bpf_map_lookup_elem(fd, &ifindex, &row) == 0;
  close(fd);
  if (!found)
    return sum;
  for (const auto& c : read_percpu<bpfr_iface_counters>(open("iface_stats"), row.index)) {
    sum.rx_packets += c.rx_packets;
    sum.tx_packets += c.tx_packets;
    sum.pass_packets += c.pass_packets;
    sum.drop_packets += c.drop_packets;
  }
  return sum;
}

bool PinnedMaps::next_hops_resolved(unsigned count) const {
  int fd = open("nexthops");
  unsigned valid = 0;
  bool all_mac = true;
  for (uint32_t id = 1; id < 64; id++) {
    bpfr_nexthop nh{};
    if (bpf_map_lookup_elem(fd, &id, &nh) != 0 || !(nh.flags & BPFR_NH_F_VALID))
      continue;
    valid++;
    all_mac = all_mac && (nh.flags & BPFR_NH_F_MAC);
  }
  close(fd);
  return valid >= count && all_mac;
}

// ---- the lab ----

RouterLab::RouterLab()
    : pin_root_(fmt::format("/sys/fs/bpf/bpfr-integration-{}-{}", getpid(), lab::unique_name("r"))),
      maps_(pin_root_) {
  src_ = std::make_unique<lab::Netns>("dpsrc");
  rtr_ = std::make_unique<lab::Netns>("dprtr");
  dst_ = std::make_unique<lab::Netns>("dpdst");
  left_ = std::make_unique<lab::Veth>(lab::VethEnd{*src_, "s0", {"10.1.0.2/24", "fd00:1::2/64"}},
                                      lab::VethEnd{*rtr_, "r0", {"10.1.0.1/24", "fd00:1::1/64"}});
  right_ = std::make_unique<lab::Veth>(lab::VethEnd{*rtr_, "r1", {"10.2.0.1/24", "fd00:2::1/64"}},
                                       lab::VethEnd{*dst_, "d0", {"10.2.0.2/24", "fd00:2::2/64"}});

  src_->ip("addr add 10.98.0.1/32 dev lo");
  src_->ip("addr add fd00:98::1/128 dev lo");
  src_->ip("route add default via 10.1.0.1");
  src_->ip("-6 route add default via fd00:1::1");
  dst_->ip("addr add 10.99.0.1/32 dev lo");
  dst_->ip("addr add fd00:99::1/128 dev lo");
  dst_->ip("route add default via 10.2.0.1");
  dst_->ip("-6 route add default via fd00:2::1");

  // The kernel's own routes, so traffic still arrives when the fast path lets go of it.
  rtr_->enable_forwarding();
  rtr_->ip("route add 10.99.0.0/24 via 10.2.0.2");
  rtr_->ip("route add 10.98.0.0/24 via 10.1.0.2");
  rtr_->ip("-6 route add fd00:99::/64 via fd00:2::2");
  rtr_->ip("-6 route add fd00:98::/64 via fd00:1::2");

  // A veth takes XDP-redirected frames only when its peer runs an XDP program.
  src_sink_ = std::make_unique<lab::Sink>(*src_, "s0");
  dst_sink_ = std::make_unique<lab::Sink>(*dst_, "d0");
  dir_ = std::make_unique<lab::TempDir>("bpfr-integration");
  write_config();
}

RouterLab::~RouterLab() {
  stop_daemon();
  std::error_code ec;
  std::filesystem::remove_all(pin_root_, ec);
}

void RouterLab::write_config(const LabConfig& c) {
  std::ofstream conf(*dir_ / "bird.conf");
  conf << "log stderr all;\n"
       << (c.log_file.empty() ? "" : fmt::format("log \"{}\" all;\n", c.log_file))
       << "router id 10.1.0.1;\n"
       << "protocol device { }\n"
       << "protocol static static6 {\n  ipv6;\n"
       << (c.dst_v6 ? fmt::format("  route {} via fd00:2::2;\n", route_dst_v6) : "")
       << fmt::format("  route {} via fd00:1::2;\n}}\n", route_src_v6)
       << "protocol static static4 {\n  ipv4;\n"
       << (c.dst_v4 ? fmt::format("  route {} via 10.2.0.2;\n", route_dst_v4) : "")
       << fmt::format("  route {} via 10.1.0.2;\n}}\n", route_src_v4)
       << (c.kernel ? "protocol kernel kernel6 { ipv6 { export all; }; }\n"
                      "protocol kernel kernel4 { ipv4 { export all; }; }\n"
                    : "")
       << fmt::format("bpfrouter {{\n  pin root \"{}\";\n  leave running {};\n{}}}\n",
                      pin_root_.string(), c.leave_running ? "on" : "off", c.block);
}

void RouterLab::start_daemon() {
  daemon_ = std::make_unique<lab::Process>(
      std::vector<std::string>{daemon_binary().string(), "-f", "-c", (*dir_ / "bird.conf").string(),
                               "-s", (*dir_ / "bpfrouter.ctl").string()},
      rtr_.get(), *dir_ / "bpfrouterd.log");

  auto links = pin_root_ / "links";
  bool attached = lab::wait_until(
      [&] {
        return std::filesystem::exists(links / "xdp_r0") &&
               std::filesystem::exists(links / "xdp_r1");
      },
      10s);
  if (!attached)
    throw std::runtime_error("bpfrouterd did not attach to r0 and r1:\n" + daemon_log());
  // Two next hops per family; the daemon asks the kernel to resolve them.
  if (!lab::wait_until([&] { return maps_.next_hops_resolved(4); }, 10s))
    throw std::runtime_error("bpfrouterd did not resolve its next hops:\n" + daemon_log());
}

void RouterLab::stop_daemon() {
  if (daemon_)
    daemon_->stop();
  daemon_.reset();
}

void RouterLab::kill_daemon() {
  if (daemon_)
    daemon_->signal(SIGKILL);
  daemon_->stop();
}

void RouterLab::reload() {
  daemon_->signal(SIGHUP);
}

std::string RouterLab::daemon_log() const {
  return daemon_ ? daemon_->log() : std::string();
}

}  // namespace bpfr::integration
