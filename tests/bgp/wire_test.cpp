#include "bgp/wire.h"

#include <gtest/gtest.h>

namespace bpfr::bgp {
namespace {

TEST(Reader, ReadsBigEndianAndStopsAtTheEnd) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(data, 19);
  EXPECT_EQ(r.offset(), 19u);
  EXPECT_EQ(r.u16(), 0x0102);
  EXPECT_EQ(r.u32(), 0x03040506u);
  EXPECT_EQ(r.offset(), 25u);
  EXPECT_FALSE(r.u16().has_value());  // one byte left
  EXPECT_EQ(r.remaining(), 1u);       // a failed read consumes nothing
  EXPECT_EQ(r.u8(), 0x07);
  EXPECT_FALSE(r.u8().has_value());
  EXPECT_TRUE(r.empty());
}

TEST(Reader, SubReaderKeepsMessageOffsets) {
  const uint8_t data[] = {1, 2, 3, 4, 5};
  Reader r(data, 100);
  r.u8();
  auto sub = r.sub(3);
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->offset(), 101u);
  EXPECT_EQ(sub->remaining(), 3u);
  EXPECT_EQ(r.offset(), 104u);
  EXPECT_FALSE(r.sub(2).has_value());
  EXPECT_FALSE(r.bytes(2).has_value());
  EXPECT_EQ(r.u64(), std::nullopt);
}

TEST(Writer, PatchesLengthFieldsAndRefusesOverflow) {
  Writer w;
  size_t at = w.placeholder(1);
  for (int i = 0; i < 255; i++)
    w.u8(0);
  EXPECT_TRUE(w.patch(at, 1));
  EXPECT_EQ(w.data()[0], 255);
  w.u8(0);
  EXPECT_FALSE(w.patch(at, 1));  // 256 bytes do not fit one octet
  Writer v;
  v.u64(0x0102030405060708ull);
  EXPECT_EQ(v.data(), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

}  // namespace
}  // namespace bpfr::bgp
