// Hex fixtures for wire tests: spaces and newlines in the text are ignored.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfr::test {

inline std::vector<uint8_t> from_hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (v < 0)
      continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(uint8_t(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// A whole BGP message: marker, length, type, then `body` (hex).
inline std::vector<uint8_t> message(uint8_t type, std::string_view body) {
  auto b = from_hex(body);
  std::vector<uint8_t> out(16, 0xff);
  size_t len = 19 + b.size();
  out.push_back(uint8_t(len >> 8));
  out.push_back(uint8_t(len));
  out.push_back(type);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// An UPDATE with no withdrawn routes, the given attributes and NLRI (both hex).
inline std::vector<uint8_t> update(std::string_view attrs, std::string_view nlri = "") {
  auto a = from_hex(attrs);
  std::string body = "0000";
  body += to_hex(std::vector<uint8_t>{uint8_t(a.size() >> 8), uint8_t(a.size())});
  body += attrs;
  body += nlri;
  return message(2, body);
}

}  // namespace bpfr::test
