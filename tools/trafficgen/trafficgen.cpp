#include "trafficgen.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "bpfrouter/probe.h"
#include "trafficgen.skel.h"

namespace bpfr::trafficgen {

namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned kEthFcs = 4;
constexpr unsigned kMinFrameV4 = 14 + 20 + 8 + sizeof(bpfr_probe);  // 58
constexpr unsigned kMinFrameV6 = 14 + 40 + 8 + sizeof(bpfr_probe);  // 78
constexpr unsigned kMaxFrame = 1514;
constexpr uint32_t kUpdateBatch = 8192;

// Flat out, each BPF_PROG_TEST_RUN call sends this much at first, then aims at kCallTime.
constexpr uint64_t kFirstChunk = 4096;
constexpr auto kCallTime = std::chrono::milliseconds(20);
// At a set rate, frames leave in bursts once per tick.
constexpr auto kTick = std::chrono::microseconds(1000);

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

// Switches the calling thread into a network namespace for the lifetime of the object.
class EnterNetns {
 public:
  explicit EnterNetns(const std::string& path) {
    if (path.empty()) {
      return;
    }
    saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (saved_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      std::string msg = fmt::format("trafficgen: cannot enter {}: {}", path, std::strerror(errno));
      if (fd >= 0) {
        close(fd);
      }
      if (saved_ >= 0) {
        close(saved_);
      }
      fail(msg);
    }
    close(fd);
  }
  ~EnterNetns() {
    if (saved_ >= 0) {
      if (setns(saved_, CLONE_NEWNET) != 0) {
        std::abort();
      }
      close(saved_);
    }
  }
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  int saved_ = -1;
};

// BPF_PROG_TEST_RUN puts an XDP program into the kernel's XDP dispatcher for each call and
// takes it out again, which patches kernel text and waits for every CPU: milliseconds per call.
// A program attached somewhere stays in the dispatcher, so the generator attaches itself to a
// veth pair of its own that stays down and never sees a frame.
class DispatcherHold {
 public:
  explicit DispatcherHold(int prog_fd) {
    static std::atomic<unsigned> counter{0};
    name_ = fmt::format("tgh{}-{}", getpid() % 100000, ++counter);
    std::string cmd = fmt::format("ip link add {} type veth peer name {}p", name_, name_);
    if (std::system(cmd.c_str()) != 0) {
      fail("trafficgen: " + cmd + " failed");
    }
    int ifindex = static_cast<int>(if_nametoindex(name_.c_str()));
    int err = ifindex ? bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, nullptr) : -ENODEV;
    if (err != 0) {
      remove();
      fail(fmt::format("trafficgen: attach to {}: {}", name_, std::strerror(-err)));
    }
  }
  ~DispatcherHold() { remove(); }
  DispatcherHold(const DispatcherHold&) = delete;
  DispatcherHold& operator=(const DispatcherHold&) = delete;

 private:
  void remove() {
    std::string cmd = fmt::format("ip link del {}", name_);
    if (std::system(cmd.c_str()) != 0) {
      fmt::print(stderr, "trafficgen: {} failed\n", cmd);
    }
  }
  std::string name_;
};

Mac device_mac(const std::string& dev) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
  if (fd >= 0) {
    close(fd);
  }
  if (!ok) {
    fail(fmt::format("trafficgen: no MAC for {}: {}", dev, std::strerror(errno)));
  }
  Mac mac;
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

bpfr_tg_dest make_dest(const Prefix& p) {
  bpfr_tg_dest d{};
  d.family = p.family() == Family::v4 ? 4 : 6;
  std::array<uint8_t, 16> mask{};
  for (unsigned i = 0; i < p.len; i++) {
    mask[i / 8] |= 0x80 >> (i % 8);
  }
  std::memcpy(d.addr, p.addr.bytes.data(), 16);
  std::memcpy(d.mask, mask.data(), 16);
  return d;
}

void fill_destinations(int fd, const std::vector<Prefix>& prefixes) {
  std::vector<uint32_t> keys;
  std::vector<bpfr_tg_dest> values;
  for (size_t start = 0; start < prefixes.size(); start += kUpdateBatch) {
    size_t n = std::min<size_t>(kUpdateBatch, prefixes.size() - start);
    keys.resize(n);
    values.resize(n);
    for (size_t i = 0; i < n; i++) {
      keys[i] = static_cast<uint32_t>(start + i);
      values[i] = make_dest(prefixes[start + i]);
    }
    uint32_t count = static_cast<uint32_t>(n);
    if (bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr) != 0) {
      fail(fmt::format("trafficgen: filling destinations: {}", std::strerror(errno)));
    }
  }
}

}  // namespace

Mac parse_mac(const std::string& text) {
  Mac mac;
  unsigned b[6];
  char extra;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &extra) != 6) {
    throw std::invalid_argument("not a MAC address: " + text);
  }
  for (int i = 0; i < 6; i++) {
    if (b[i] > 0xff) {
      throw std::invalid_argument("not a MAC address: " + text);
    }
    mac[i] = static_cast<uint8_t>(b[i]);
  }
  return mac;
}

std::vector<Prefix> read_prefixes(const std::string& path, size_t limit) {
  std::ifstream in(path);
  if (!in) {
    fail("trafficgen: cannot read " + path);
  }
  std::vector<Prefix> out;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line) && (limit == 0 || out.size() < limit)) {
    lineno++;
    line.erase(std::find(line.begin(), line.end(), '#'), line.end());
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
      continue;
    }
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    auto prefix = Prefix::parse(line);
    if (!prefix) {
      if (auto addr = Address::parse(line)) {
        prefix = Prefix::make(*addr, addr->bits());
      }
    }
    if (!prefix) {
      fail(fmt::format("trafficgen: {}:{}: not a prefix: {}", path, lineno, line));
    }
    out.push_back(*prefix);
  }
  return out;
}

Generator::Generator(Options options) : options_(std::move(options)) {
  auto& o = options_;
  if (o.destinations.empty()) {
    fail("trafficgen: no destinations");
  }
  if (o.destinations.size() > BPFR_TG_MAX_DESTINATIONS) {
    fail(fmt::format("trafficgen: {} destinations, at most {}", o.destinations.size(),
                     BPFR_TG_MAX_DESTINATIONS));
  }
  if (o.frame_size < 64 || o.frame_size > kMaxFrame + kEthFcs) {
    fail(
        fmt::format("trafficgen: frame size {} outside 64..{}", o.frame_size, kMaxFrame + kEthFcs));
  }
  if (o.count == 0 && o.duration.count() <= 0) {
    fail("trafficgen: neither a count nor a duration bounds the run");
  }
  if (o.dev.empty()) {
    fail("trafficgen: no device");
  }
  if (std::all_of(o.src_mac.begin(), o.src_mac.end(), [](uint8_t b) { return b == 0; })) {
    EnterNetns enter(o.netns_path);
    o.src_mac = device_mac(o.dev);
  }

  skel_ = trafficgen_bpf__open();
  if (!skel_) {
    fail(fmt::format("trafficgen: open trafficgen.bpf.o: {}", std::strerror(errno)));
  }
  auto* ro = skel_->rodata;
  std::memcpy(ro->src_mac, o.src_mac.data(), 6);
  std::memcpy(ro->dst_mac, o.dst_mac.data(), 6);
  std::memcpy(&ro->src_v4, o.src_v4.bytes.data(), 4);
  std::memcpy(ro->src_v6, o.src_v6.bytes.data(), 16);
  ro->stream = o.stream;
  ro->num_destinations = static_cast<uint32_t>(o.destinations.size());
  unsigned frame = o.frame_size - kEthFcs;
  ro->frame_len_v4 = static_cast<uint16_t>(std::max(frame, kMinFrameV4));
  ro->frame_len_v6 = static_cast<uint16_t>(std::max(frame, kMinFrameV6));
  bpf_map__set_max_entries(skel_->maps.tg_destinations,
                           static_cast<uint32_t>(o.destinations.size()));
  if (trafficgen_bpf__load(skel_) != 0) {
    int err = errno;
    trafficgen_bpf__destroy(skel_);
    fail(fmt::format("trafficgen: load trafficgen.bpf.o: {}", std::strerror(err)));
  }
  skel_->bss->next_seq = o.first_seq;
  try {
    fill_destinations(bpf_map__fd(skel_->maps.tg_destinations), o.destinations);
  } catch (...) {
    trafficgen_bpf__destroy(skel_);
    throw;
  }
}

Generator::~Generator() {
  trafficgen_bpf__destroy(skel_);
}

std::vector<uint8_t> Generator::sample_frame() {
  unsigned frame_len = std::max(skel_->rodata->frame_len_v4, skel_->rodata->frame_len_v6);
  std::vector<uint8_t> in(frame_len, 0xee), out(frame_len, 0);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
              .data_size_in = frame_len, .data_size_out = frame_len, .repeat = 1);
  int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xdp_trafficgen), &opts);
  if (err != 0 || opts.retval != XDP_TX) {
    fail(fmt::format("trafficgen: test run: error {}, verdict {}", err, opts.retval));
  }
  out.resize(opts.data_size_out);
  return out;
}

Report Generator::run() {
  const auto& o = options_;
  EnterNetns enter(o.netns_path);
  int ifindex = static_cast<int>(if_nametoindex(o.dev.c_str()));
  if (ifindex == 0) {
    fail(fmt::format("trafficgen: no device {}", o.dev));
  }

  // The frame starts as large as the larger family needs; the program trims it per frame.
  unsigned frame_len = std::max(skel_->rodata->frame_len_v4, skel_->rodata->frame_len_v6);
  std::vector<uint8_t> frame(frame_len, 0);
  xdp_md ctx{};
  ctx.data_end = frame_len;
  ctx.ingress_ifindex = ifindex;

  LIBBPF_OPTS(bpf_test_run_opts, run_opts, .data_in = frame.data(), .data_size_in = frame_len,
              .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
  int prog_fd = bpf_program__fd(skel_->progs.xdp_trafficgen);
  DispatcherHold hold(prog_fd);
  volatile __u64* seq = &skel_->bss->next_seq;
  const uint64_t first = *seq;
  auto sent = [&]() -> uint64_t { return *seq - first; };

  auto start = Clock::now();
  auto deadline = start + o.duration;
  uint64_t chunk =
      o.rate_pps ? std::max<uint64_t>(1, o.rate_pps * kTick.count() / 1000000) : kFirstChunk;
  auto next_tick = start;
  while (!stopping_ && Clock::now() < deadline && (o.count == 0 || sent() < o.count)) {
    uint64_t want = o.count ? std::min(chunk, o.count - sent()) : chunk;
    if (o.rate_pps) {
      // Never ahead of the schedule: frames due by now, at most one tick's worth.
      auto due = static_cast<uint64_t>(std::chrono::duration<double>(Clock::now() - start).count() *
                                       static_cast<double>(o.rate_pps));
      want = due > sent() ? std::min(want, due - sent()) : 0;
    }
    if (want > 0) {
      auto call_start = Clock::now();
      run_opts.repeat = static_cast<uint32_t>(want);
      int err = bpf_prog_test_run_opts(prog_fd, &run_opts);
      if (err != 0 && err != -EINTR) {
        fail(fmt::format("trafficgen: BPF_PROG_TEST_RUN on {}: {}", o.dev, std::strerror(-err)));
      }
      if (!o.rate_pps) {
        auto took = Clock::now() - call_start;
        double scale = std::chrono::duration<double>(kCallTime) /
                       std::max(std::chrono::duration<double>(took),
                                std::chrono::duration<double>(std::chrono::microseconds(100)));
        chunk =
            std::clamp<uint64_t>(static_cast<uint64_t>(chunk * std::min(scale, 4.0)), 64, 1u << 24);
      }
    }
    if (o.rate_pps) {
      next_tick += kTick;
      std::this_thread::sleep_until(std::min(next_tick, deadline));
    }
  }
  Report report;
  report.sent = sent();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace bpfr::trafficgen
