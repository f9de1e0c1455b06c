// A traffic generator on XDP live frames: bpf/trafficgen.bpf.c run by BPF_PROG_TEST_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES on a device, sending UDP probes (sequence-numbered, see
// bpfrouter/probe.h) to random addresses inside a list of prefixes, flat out or at a set rate,
// bounded by a count and a duration.
//
// The device's peer must have an XDP program (a veth accepts XDP frames only then): in a lab, the
// router's program, or bpfr::lab::Sink.
//
//   bpfr::trafficgen::Options o;
//   o.netns_path = ns.path(); o.dev = "eth0"; o.dst_mac = ...; o.src_v4 = ...;
//   o.destinations = {*bpfr::Prefix::parse("192.0.2.0/24")};
//   o.count = 100000; o.rate_pps = 100000; o.duration = 10s;
//   auto report = bpfr::trafficgen::Generator(o).run();
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip.h"

struct trafficgen_bpf;

namespace bpfr::trafficgen {

using Mac = std::array<uint8_t, 6>;

struct Options {
  std::string netns_path;  // run inside this namespace (/run/netns/NAME); empty: the caller's
  std::string dev;         // sending device
  Mac src_mac{};           // all zero: the device's own
  Mac dst_mac{};           // next hop's MAC (the peer veth, the router)
  Address src_v4 = Address::v4(0);
  Address src_v6;
  std::vector<Prefix> destinations;  // each frame picks one at random, then random host bits
  unsigned frame_size = 64;          // on the wire with FCS; IPv6 frames are at least 82
  uint64_t count = 0;                // stop after this many frames; 0: no count limit
  std::chrono::milliseconds duration{10000};  // stop after this long in any case
  uint64_t rate_pps = 0;                      // 0: flat out
  uint32_t stream = 1;                        // carried in every probe, for the receiver
  uint64_t first_seq = 0;
};

struct Report {
  uint64_t sent = 0;  // frames the program wrote and sent (XDP_TX)
  double seconds = 0;
  double pps() const { return seconds > 0 ? sent / seconds : 0; }
};

// Parses "aa:bb:cc:dd:ee:ff"; throws std::invalid_argument.
Mac parse_mac(const std::string& text);
// Reads prefixes one a line ("#" comments, blank lines; a bare address is a host prefix),
// at most `limit` of them if non-zero; throws std::runtime_error.
std::vector<Prefix> read_prefixes(const std::string& path, size_t limit = 0);

class Generator {
 public:
  // Loads the program; throws std::runtime_error on bad options or a failed load.
  explicit Generator(Options options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Sends until the count, the duration or stop(); callable once per Generator.
  Report run();
  // Runs the program once on a scratch frame, without sending, and returns the frame it wrote
  // (advances the sequence number). For tests.
  std::vector<uint8_t> sample_frame();
  // Makes run() return soon; safe from another thread or a signal handler.
  void stop() { stopping_ = true; }

 private:
  Options options_;
  ::trafficgen_bpf* skel_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace bpfr::trafficgen
