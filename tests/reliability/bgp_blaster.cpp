#include "reliability/bgp_blaster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "bgp/message.h"
#include "bgp/mrt.h"
#include "lab/lab.h"

namespace bpfr::reliability {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t prefixes_per_path = 4;  // real tables share a path among a few prefixes
constexpr size_t withdrawals_per_update = 500;
constexpr uint16_t hold_time_s = 240;
constexpr auto keepalive_every = std::chrono::seconds(20);
constexpr size_t bgp_header = 19;
constexpr uint8_t type_open = 1;
constexpr uint8_t type_notification = 3;
constexpr uint8_t type_keepalive = 4;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("bgp blaster: " + what);
}

bgp::EncodeContext encode_context() {
  bgp::EncodeContext ctx;
  ctx.four_octet_as = true;
  return ctx;
}

sockaddr_in v4_endpoint(const Address& a, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  std::memcpy(&sa.sin_addr, a.bytes.data(), 4);
  return sa;
}

bgp::PathAttributes path_for(uint32_t local_as, size_t chunk, uint32_t seed) {
  bgp::PathAttributes a;
  a.origin = bgp::Origin::igp;
  uint32_t transit = 1000 + uint32_t((chunk * 7 + seed * 131) % 50000);
  uint32_t origin = 100000 + uint32_t(chunk % 200000);
  a.as_path = bgp::AsPath{{bgp::AsSegment{bgp::SegmentType::sequence, {local_as, transit, origin}}}};
  return a;
}

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("BPFR_SHARED_DIR"))
    return env;
  return std::filesystem::path(BPFR_SOURCE_DIR) / ".." / "shared";
}

}  // namespace

BgpMessages table_updates(const std::vector<Prefix>& prefixes, uint32_t local_as,
                          const Address& next_hop_v4, const Address& next_hop_v6,
                          uint32_t seed) {
  BgpMessages out;
  auto ctx = encode_context();
  std::vector<Prefix> chunk;
  size_t chunk_index = 0;
  auto emit = [&] {
    if (chunk.empty())
      return;
    bool v4 = chunk.front().addr.is_v4();
    bgp::NextHop nh{v4 ? next_hop_v4 : next_hop_v6, std::nullopt};
    for (auto& m : bgp::pack_announcements(path_for(local_as, chunk_index++, seed), nh, chunk, ctx))
      out.push_back(std::move(m));
    chunk.clear();
  };
  for (const auto& p : prefixes) {
    if (!chunk.empty() &&
        (chunk.size() == prefixes_per_path || chunk.front().addr.is_v4() != p.addr.is_v4()))
      emit();
    chunk.push_back(p);
  }
  emit();
  out.push_back(bgp::encode_end_of_rib(bgp::kIpv4Unicast));
  out.push_back(bgp::encode_end_of_rib(bgp::kIpv6Unicast));
  return out;
}

BgpMessages table_withdrawals(const std::vector<Prefix>& prefixes) {
  BgpMessages out;
  auto ctx = encode_context();
  bgp::Update u;
  auto emit = [&] {
    if (u.withdrawn.empty() && (!u.mp_unreach || u.mp_unreach->withdrawn.empty()))
      return;
    out.push_back(bgp::encode_update(u, ctx));
    u = bgp::Update{};
  };
  for (const auto& p : prefixes) {
    if (p.addr.is_v4()) {
      u.withdrawn.push_back(p);
    } else {
      if (!u.mp_unreach)
        u.mp_unreach = bgp::MpUnreach{bgp::kIpv6Unicast, true, {}};
      u.mp_unreach->withdrawn.push_back(p);
    }
    if (u.withdrawn.size() + (u.mp_unreach ? u.mp_unreach->withdrawn.size() : 0) >=
        withdrawals_per_update)
      emit();
  }
  emit();
  return out;
}

std::vector<Prefix> isp_table_prefixes(size_t limit) {
  auto path = shared_dir() / "data/prefixlists/isp-full-table-v4-v6.txt.gz";
  auto bytes = bgp::read_mrt_file(path.string());
  if (bytes.empty())
    fail("cannot read " + path.string() + " (set BPFR_SHARED_DIR)");
  std::vector<Prefix> out;
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::string line;
  while (std::getline(in, line) && (limit == 0 || out.size() < limit)) {
    // The file has CRLF line ends.
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    if (line.empty() || line[0] == '#')
      continue;
    if (auto p = Prefix::parse(line))
      out.push_back(*p);
  }
  return out;
}

BgpBlaster::BgpBlaster(BlasterOptions options) : options_(std::move(options)) {}

BgpBlaster::~BgpBlaster() {
  if (fd_ >= 0)
    close(fd_);
}

void BgpBlaster::establish(std::chrono::milliseconds timeout) {
  {
    lab::NetnsEnter in(options_.netns_path);
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd_ < 0)
    fail(fmt::format("socket: {}", strerror(errno)));
  auto local = v4_endpoint(options_.local, 0);
  auto remote = v4_endpoint(options_.remote, 179);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    fail(fmt::format("bind {}: {}", options_.local, strerror(errno)));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS)
    fail(fmt::format("connect {}: {}", options_.remote, strerror(errno)));

  bgp::Open open;
  open.my_as = uint16_t(options_.local_as);
  open.hold_time = hold_time_s;
  open.bgp_id = options_.router_id;
  open.caps.multiprotocol = {bgp::kIpv4Unicast, bgp::kIpv6Unicast};
  open.caps.four_octet_as = options_.local_as;
  auto bytes = bgp::encode_open(open);
  auto keepalive = bgp::encode_keepalive();
  size_t written = 0;
  bool open_seen = false, keepalive_seen = false, keepalive_sent = false;
  std::vector<uint8_t> in;
  auto deadline = Clock::now() + timeout;

  while (!keepalive_seen || !keepalive_sent) {
    if (Clock::now() > deadline)
      fail(fmt::format("no session with {} within {} ms", options_.remote, timeout.count()));
    pollfd p{fd_, short(POLLIN | (written < bytes.size() ? POLLOUT : 0)), 0};
    poll(&p, 1, 100);
    if (p.revents & (POLLERR | POLLHUP))
      fail(fmt::format("connection to {} refused or closed", options_.remote));
    if ((p.revents & POLLOUT) && written < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + written, bytes.size() - written);
      if (n > 0)
        written += size_t(n);
      if (written == bytes.size() && open_seen && !keepalive_sent) {
        bytes.insert(bytes.end(), keepalive.begin(), keepalive.end());
        keepalive_sent = true;
      }
    }
    if (p.revents & POLLIN) {
      uint8_t buf[4096];
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n == 0)
        fail("the daemon closed the connection during OPEN");
      if (n > 0)
        in.insert(in.end(), buf, buf + n);
    }
    while (in.size() >= bgp_header) {
      size_t len = size_t(in[16]) << 8 | in[17];
      if (len < bgp_header || in.size() < len)
        break;
      uint8_t type = in[18];
      if (type == type_notification)
        fail("the daemon sent a NOTIFICATION during OPEN");
      if (type == type_open) {
        open_seen = true;
        if (written == bytes.size() && !keepalive_sent) {
          bytes.insert(bytes.end(), keepalive.begin(), keepalive.end());
          keepalive_sent = true;
        }
      }
      if (type == type_keepalive && open_seen)
        keepalive_seen = true;
      in.erase(in.begin(), in.begin() + ptrdiff_t(len));
    }
  }
  // The KEEPALIVE may still be on its way out.
  while (written < bytes.size() && Clock::now() < deadline) {
    ssize_t n = write(fd_, bytes.data() + written, bytes.size() - written);
    if (n > 0)
      written += size_t(n);
    else
      usleep(1000);
  }
}

void BgpBlaster::read_available() {
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n > 0)
      continue;
    if (n == 0)
      fail(fmt::format("the daemon closed the session with {}", options_.local));
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return;
    fail(fmt::format("read: {}", strerror(errno)));
  }
}

BlastReport BgpBlaster::send(const BgpMessages& messages, std::chrono::milliseconds timeout) {
  BlastReport report;
  auto start = Clock::now();
  auto deadline = start + timeout;
  auto next_keepalive = start + keepalive_every;
  auto keepalive = bgp::encode_keepalive();
  size_t index = 0, offset = 0;

  while (index < messages.size() && !stopping_) {
    if (Clock::now() > deadline)
      fail(fmt::format("{} of {} messages written after {} ms", index, messages.size(),
                       timeout.count()));
    pollfd p{fd_, POLLIN | POLLOUT, 0};
    poll(&p, 1, 100);
    if (p.revents & POLLIN)
      read_available();
    if (!(p.revents & POLLOUT)) {
      ++report.full_waits;
      continue;
    }
    // A KEEPALIVE only between two messages.
    const auto& m = offset == 0 && Clock::now() > next_keepalive ? keepalive : messages[index];
    ssize_t n = write(fd_, m.data() + offset, m.size() - offset);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ++report.full_waits;
        continue;
      }
      fail(fmt::format("write: {}", strerror(errno)));
    }
    report.bytes += size_t(n);
    offset += size_t(n);
    if (offset < m.size())
      continue;
    offset = 0;
    if (&m == &keepalive) {
      next_keepalive = Clock::now() + keepalive_every;
      continue;
    }
    ++index;
    ++report.messages;
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace bpfr::reliability
