// Bounds-checked access to wire bytes. Every byte a peer sends is read through Reader; a read
// past the end fails softly (returns false / nullopt) and never touches memory out of range.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace bpfr::bgp {

class Reader {
 public:
  // base: offset of data[0] within the whole message, so errors can report message offsets.
  explicit Reader(std::span<const uint8_t> data, size_t base = 0) : data_(data), base_(base) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t offset() const { return base_ + pos_; }  // offset of the next byte in the message
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  std::optional<uint8_t> u8();
  std::optional<uint16_t> u16();
  std::optional<uint32_t> u32();
  std::optional<uint64_t> u64();
  std::optional<std::span<const uint8_t>> bytes(size_t n);
  // A sub-reader over the next n bytes, which this reader then skips.
  std::optional<Reader> sub(size_t n);

 private:
  std::span<const uint8_t> data_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

  size_t size() const { return out_.size(); }
  // Reserves a length field of `width` (1 or 2) bytes; patch() fills it with the bytes written
  // since, and returns false when they do not fit the width.
  size_t placeholder(unsigned width);
  bool patch(size_t at, unsigned width);
  void truncate(size_t size) { out_.resize(size); }

  std::vector<uint8_t>& data() { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace bpfr::bgp
