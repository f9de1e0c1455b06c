// Addresses and prefixes of both families, as every part of the daemon passes them around.
#pragma once

#include <array>
#include <compare>
#include <iosfwd>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace bpfr {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first four bytes; the rest are 0.
struct Address {
  Family family = Family::v6;
  std::array<uint8_t, 16> bytes{};

  static Address v4(uint32_t host_order);
  static Address from_bytes(Family family, std::span<const uint8_t> bytes);
  static std::optional<Address> parse(std::string_view text);

  size_t size() const { return family == Family::v4 ? 4 : 16; }
  unsigned bits() const { return family == Family::v4 ? 32 : 128; }
  bool is_v4() const { return family == Family::v4; }
  uint32_t v4_host_order() const;
  bool bit(unsigned index) const { return (bytes[index / 8] >> (7 - index % 8)) & 1; }
  bool is_unspecified() const;
  bool is_link_local() const;  // fe80::/10 or 169.254.0.0/16
  std::string str() const;

  auto operator<=>(const Address&) const = default;
};

// A network prefix; host bits are always zero (the constructors clear them).
struct Prefix {
  Address addr;
  uint8_t len = 0;

  static Prefix make(const Address& addr, unsigned len);
  static std::optional<Prefix> parse(std::string_view text);  // "2001:db8::/32", "10.0.0.0/8"

  Family family() const { return addr.family; }
  bool contains(const Address& a) const;
  bool contains(const Prefix& p) const { return p.len >= len && contains(p.addr); }
  std::string str() const;

  auto operator<=>(const Prefix&) const = default;
};

struct AddressHash {
  size_t operator()(const Address& a) const noexcept;
};

struct PrefixHash {
  size_t operator()(const Prefix& p) const noexcept;
};

// For test failure messages and logs that stream.
std::ostream& operator<<(std::ostream& os, const Address& a);
std::ostream& operator<<(std::ostream& os, const Prefix& p);

}  // namespace bpfr

template <>
struct fmt::formatter<bpfr::Address> : fmt::formatter<std::string_view> {
  auto format(const bpfr::Address& a, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(a.str(), ctx);
  }
};

template <>
struct fmt::formatter<bpfr::Prefix> : fmt::formatter<std::string_view> {
  auto format(const bpfr::Prefix& p, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(p.str(), ctx);
  }
};
