#include "common/ip.h"

#include <gtest/gtest.h>

namespace bpfr {
namespace {

TEST(Prefix, ParseClearsHostBits) {
  auto p = Prefix::parse("2001:db8:1234:a:1::1/80");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), "2001:db8:1234:a:1::/80");
  EXPECT_EQ(Prefix::parse("10.1.2.3/8")->str(), "10.0.0.0/8");
}

TEST(Prefix, RejectsBadText) {
  for (auto text : {"", "10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "x/8"})
    EXPECT_FALSE(Prefix::parse(text)) << text;
}

TEST(Prefix, ContainsRespectsLengthAndFamily) {
  auto p48 = *Prefix::parse("2001:db8:1234::/48");
  EXPECT_TRUE(p48.contains(*Address::parse("2001:db8:1234:ffff::1")));
  EXPECT_FALSE(p48.contains(*Address::parse("2001:db8:1235::1")));
  EXPECT_FALSE(p48.contains(*Address::parse("10.0.0.1")));
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*Address::parse("192.0.2.1")));
  EXPECT_TRUE(Prefix::parse("192.0.2.0/25")->contains(*Prefix::parse("192.0.2.64/26")));
}

TEST(Address, LinkLocal) {
  EXPECT_TRUE(Address::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(Address::parse("169.254.3.4")->is_link_local());
  EXPECT_FALSE(Address::parse("2001:db8::1")->is_link_local());
}

TEST(Address, FormatsThroughFmt) {
  EXPECT_EQ(fmt::format("{} {}", *Address::parse("2001:DB8::1"), *Prefix::parse("10.0.0.0/8")),
            "2001:db8::1 10.0.0.0/8");
}

}  // namespace
}  // namespace bpfr
