#include "control/protocol.h"

#include <gtest/gtest.h>

namespace bpfr::control {
namespace {

struct WireRow {
  const char* name;
  Reply reply;
  const char* wire;
};

TEST(ReplyWire, Rows) {
  const WireRow rows[] = {
      {"final line only", Reply::done(code::status_report, "Daemon is up and running"),
       "0013 Daemon is up and running\n"},
      {"ok without text ends in code and space", Reply::done(), "0000 \n"},
      {"a new code starts with code and dash",
       Reply().add(code::disabled, "static6: disabled").finish(code::ok),
       "0009-static6: disabled\n0000 \n"},
      {"the same code continues with a space",
       Reply().add(1007, "Table master4:").add(1007, "10.0.0.0/8").finish(0),
       "1007-Table master4:\n 10.0.0.0/8\n0000 \n"},
      {"the final line repeats its code even when it continues",
       Reply().add(1007, "a").finish(1007, "b"), "1007-a\n1007 b\n"},
      {"text with newlines is several lines of one code", Reply().add(1006, "x\n\ty").finish(0),
       "1006-x\n \ty\n0000 \n"},
      {"an empty line keeps its code", Reply().add(1006, "").add(1006, "").finish(0),
       "1006-\n \n0000 \n"},
      {"an unfinished reply is closed with 0000", Reply().add(1002, "p"), "1002-p\n0000 \n"},
      {"errors are a single final line", Reply::error(code::syntax_error, "syntax error"),
       "9001 syntax error\n"},
  };
  for (const auto& row : rows)
    EXPECT_EQ(row.reply.wire(), row.wire) << row.name;
}

TEST(ReplyDecoder, ReassemblesContinuationsAcrossChunks) {
  ReplyDecoder d;
  std::string wire =
      "0001 BIRD 2.0.12 ready.\n1007-Table master4:\n 10.0.0.0/8\n1008-\tType\n0000 \n";
  std::vector<ReplyDecoder::Line> got;
  for (char c : wire) {  // one byte at a time
    d.feed(std::string_view(&c, 1));
    while (auto l = d.next())
      got.push_back(*l);
  }
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].code, 1);
  EXPECT_TRUE(got[0].final);
  EXPECT_EQ(got[2].code, 1007);
  EXPECT_EQ(got[2].text, "10.0.0.0/8");
  EXPECT_FALSE(got[2].final);
  EXPECT_EQ(got[3].text, "\tType");
  EXPECT_EQ(got[4].code, 0);
  EXPECT_TRUE(got[4].final);
  EXPECT_TRUE(d.error().empty());
}

TEST(ReplyDecoder, RoundTripsEveryReply) {
  Reply r;
  r.add(2002, "Name").add(1002, "a").add(1002, "b").add(1006, "").add(1006, " x");
  r.finish(0);
  ReplyDecoder d;
  d.feed(r.wire());
  for (const auto& want : r.lines()) {
    auto got = d.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->code, want.code);
    EXPECT_EQ(got->text, want.text);
  }
  EXPECT_FALSE(d.next());
}

struct BadRow {
  const char* name;
  const char* wire;
  const char* error;
};

TEST(ReplyDecoder, RejectsMalformedLines) {
  const BadRow rows[] = {
      {"continuation before any code", " text\n", "continuation line before any reply code"},
      {"no code", "hello\n", "malformed reply line 'hello'"},
      {"code without separator", "0000\n", "malformed reply line '0000'"},
      {"letters in the code", "00a0 x\n", "malformed reply line '00a0 x'"},
      {"bad separator", "0000:x\n", "malformed reply line '0000:x'"},
  };
  for (const auto& row : rows) {
    ReplyDecoder d;
    d.feed(row.wire);
    EXPECT_FALSE(d.next()) << row.name;
    EXPECT_EQ(d.error(), row.error) << row.name;
  }
}

TEST(ReplyDecoder, BoundsLineLength) {
  ReplyDecoder d(16);
  d.feed(std::string(17, 'x'));
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.error(), "reply line longer than 16 bytes");
}

}  // namespace
}  // namespace bpfr::control
