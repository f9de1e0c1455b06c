// Frames built as values for BPF_PROG_TEST_RUN rows: Ethernet, an optional VLAN tag, IPv6 or
// IPv4. IPv4 header checksums are computed here from scratch (RFC 1071), independently of the
// incremental update the fast path does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEthIpv4 = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthVlan = 0x8100;
inline constexpr uint16_t kEthQinQ = 0x88a8;

struct L2 {
  Mac dst{0x02, 0, 0, 0, 0, 0xaa};
  Mac src{0x02, 0, 0, 0, 0, 0xbb};
  std::optional<uint16_t> vlan;  // 802.1Q VLAN id
  uint16_t tag_type = kEthVlan;  // kEthQinQ for an 802.1ad tag
};

struct Ipv6 {
  std::string src;
  std::string dst;
  uint8_t hop_limit = 64;
  uint8_t next_header = 17;
  Bytes payload = Bytes(16, 0xab);
};

struct Ipv4 {
  std::string src;
  std::string dst;
  uint8_t ttl = 64;
  uint8_t protocol = 17;
  Bytes options;  // a multiple of 4 bytes
  Bytes payload = Bytes(16, 0xab);
};

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

inline Address addr(const std::string& text) {
  auto a = Address::parse(text);
  if (!a)
    throw std::invalid_argument("bad address in test: " + text);
  return *a;
}

// RFC 1071: one's complement of the one's complement sum of the 16-bit words.
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2)
    sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.size() % 2)
    sum += bytes.back() << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline Bytes ethernet(const L2& l2, uint16_t ethertype, const Bytes& payload) {
  Bytes b(l2.dst.begin(), l2.dst.end());
  b.insert(b.end(), l2.src.begin(), l2.src.end());
  if (l2.vlan) {
    put16(b, l2.tag_type);
    put16(b, *l2.vlan & 0x0fff);
  }
  put16(b, ethertype);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

inline Bytes ipv6_packet(const Ipv6& ip) {
  Bytes b{0x60, 0, 0, 0};
  put16(b, static_cast<uint16_t>(ip.payload.size()));
  b.push_back(ip.next_header);
  b.push_back(ip.hop_limit);
  for (const auto* text : {&ip.src, &ip.dst}) {
    auto a = addr(*text);
    b.insert(b.end(), a.bytes.begin(), a.bytes.end());
  }
  b.insert(b.end(), ip.payload.begin(), ip.payload.end());
  return b;
}

inline Bytes ipv4_packet(const Ipv4& ip) {
  const size_t hlen = 20 + ip.options.size();
  Bytes b{static_cast<uint8_t>(0x40 | (hlen / 4)), 0};
  put16(b, static_cast<uint16_t>(hlen + ip.payload.size()));
  put16(b, 0x1234);  // identification
  put16(b, 0x4000);  // DF
  b.push_back(ip.ttl);
  b.push_back(ip.protocol);
  put16(b, 0);  // checksum, below
  for (const auto* text : {&ip.src, &ip.dst}) {
    auto a = addr(*text);
    b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + 4);
  }
  b.insert(b.end(), ip.options.begin(), ip.options.end());
  uint16_t csum = internet_checksum(std::span(b).first(hlen));
  b[10] = static_cast<uint8_t>(csum >> 8);
  b[11] = static_cast<uint8_t>(csum);
  b.insert(b.end(), ip.payload.begin(), ip.payload.end());
  return b;
}

inline Bytes frame(const L2& l2, const Ipv6& ip) {
  return ethernet(l2, kEthIpv6, ipv6_packet(ip));
}
inline Bytes frame(const L2& l2, const Ipv4& ip) {
  return ethernet(l2, kEthIpv4, ipv4_packet(ip));
}

// A copy with `bytes` changed at `offset`: for malformed rows.
inline Bytes patched(Bytes b, size_t offset, std::initializer_list<uint8_t> bytes) {
  for (uint8_t v : bytes)
    b.at(offset++) = v;
  return b;
}

inline Bytes truncated(Bytes b, size_t size) {
  b.resize(size);
  return b;
}

}  // namespace bpfr::test
