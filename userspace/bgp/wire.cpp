#include "bgp/wire.h"

namespace bpfr::bgp {

std::optional<uint8_t> Reader::u8() {
  if (remaining() < 1)
    return std::nullopt;
  return data_[pos_++];
}

std::optional<uint16_t> Reader::u16() {
  if (remaining() < 2)
    return std::nullopt;
  uint16_t v = uint16_t(data_[pos_] << 8 | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

std::optional<uint32_t> Reader::u32() {
  if (remaining() < 4)
    return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v = v << 8 | data_[pos_ + i];
  pos_ += 4;
  return v;
}

std::optional<uint64_t> Reader::u64() {
  if (remaining() < 8)
    return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | data_[pos_ + i];
  pos_ += 8;
  return v;
}

std::optional<std::span<const uint8_t>> Reader::bytes(size_t n) {
  if (remaining() < n)
    return std::nullopt;
  auto b = data_.subspan(pos_, n);
  pos_ += n;
  return b;
}

std::optional<Reader> Reader::sub(size_t n) {
  size_t at = offset();
  auto b = bytes(n);
  if (!b)
    return std::nullopt;
  return Reader(*b, at);
}

void Writer::u16(uint16_t v) {
  out_.push_back(uint8_t(v >> 8));
  out_.push_back(uint8_t(v));
}

void Writer::u32(uint32_t v) {
  u16(uint16_t(v >> 16));
  u16(uint16_t(v));
}

void Writer::u64(uint64_t v) {
  u32(uint32_t(v >> 32));
  u32(uint32_t(v));
}

size_t Writer::placeholder(unsigned width) {
  size_t at = out_.size();
  out_.resize(at + width);
  return at;
}

bool Writer::patch(size_t at, unsigned width) {
  size_t len = out_.size() - at - width;
  if (len >= (size_t(1) << (8 * width)))
    return false;
  for (unsigned i = 0; i < width; i++)
    out_[at + i] = uint8_t(len >> (8 * (width - 1 - i)));
  return true;
}

}  // namespace bpfr::bgp
