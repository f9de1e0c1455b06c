#include "config/lexer.h"

#include <gtest/gtest.h>

#include "config/parser.h"

namespace bpfr::config {
namespace {

using Kind = Token::Kind;

std::vector<Token> tokens(std::string_view text) {
  Lexer lexer(text, "t.conf");
  std::vector<Token> out;
  for (;;) {
    Token t = lexer.next();
    if (t.kind == Kind::end)
      return out;
    out.push_back(t);
  }
}

struct TokenRow {
  const char* name;
  const char* text;
  std::vector<std::pair<Kind, std::string>> want;
};

TEST(Lexer, SplitsTokens) {
  const TokenRow rows[] = {
      {"words and punctuation", "protocol bgp x {", {{Kind::word, "protocol"}, {Kind::word, "bgp"},
                                                      {Kind::word, "x"}, {Kind::punct, "{"}}},
      {"ipv6 prefix is address, slash, number", "2001:DB8:1234::/48",
       {{Kind::ip6, "2001:DB8:1234::"}, {Kind::punct, "/"}, {Kind::number, "48"}}},
      {"ipv4 address", "192.0.2.1;", {{Kind::ip4, "192.0.2.1"}, {Kind::punct, ";"}}},
      {"all-zero ipv6", "::/0", {{Kind::ip6, "::"}, {Kind::punct, "/"}, {Kind::number, "0"}}},
      {"link-local with scope", "fe80::1%eth0",
       {{Kind::ip6, "fe80::1"}, {Kind::punct, "%"}, {Kind::word, "eth0"}}},
      {"hex-looking word stays a word", "define deadbeef", {{Kind::word, "define"}, {Kind::word, "deadbeef"}}},
      {"range is number, dots, number", "1..10", {{Kind::number, "1"}, {Kind::punct, ".."}, {Kind::number, "10"}}},
      {"case label colon", "24:", {{Kind::number, "24"}, {Kind::punct, ":"}}},
      {"member access", "net.len", {{Kind::word, "net"}, {Kind::punct, "."}, {Kind::word, "len"}}},
      {"path mask brackets", "[= * 65000 =]", {{Kind::punct, "[="}, {Kind::punct, "*"},
                                                {Kind::number, "65000"}, {Kind::punct, "=]"}}},
      {"two-char operators", "!= <= >= !~ && ||", {{Kind::punct, "!="}, {Kind::punct, "<="},
                                                   {Kind::punct, ">="}, {Kind::punct, "!~"},
                                                   {Kind::punct, "&&"}, {Kind::punct, "||"}}},
      {"string without quotes", "\"Vultr\"", {{Kind::string, "Vultr"}}},
      {"hash comment to end of line", "a # b c\nd", {{Kind::word, "a"}, {Kind::word, "d"}}},
      {"block comment across lines", "a /* b\n c */ d", {{Kind::word, "a"}, {Kind::word, "d"}}},
      {"hex number", "0x10", {{Kind::number, "0x10"}}},
  };
  for (auto& row : rows) {
    auto got = tokens(row.text);
    ASSERT_EQ(got.size(), row.want.size()) << row.name;
    for (size_t i = 0; i < got.size(); i++) {
      EXPECT_EQ(got[i].kind, row.want[i].first) << row.name << " token " << i;
      EXPECT_EQ(got[i].text, row.want[i].second) << row.name << " token " << i;
    }
  }
}

TEST(Lexer, NumbersHaveValues) {
  auto t = tokens("65535 0x10 4294967295");
  EXPECT_EQ(t[0].number, 65535u);
  EXPECT_EQ(t[1].number, 16u);
  EXPECT_EQ(t[2].number, 4294967295u);
}

TEST(Lexer, TokensCarryLineAndColumn) {
  auto t = tokens("a\n  /* x\n */ bb\n\tc");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].where.line, 1);
  EXPECT_EQ(t[0].where.column, 1);
  EXPECT_EQ(t[1].where.line, 3);
  EXPECT_EQ(t[1].where.column, 5);
  EXPECT_EQ(t[2].where.line, 4);
  EXPECT_EQ(t[2].where.column, 2);
}

struct ErrorRow {
  const char* name;
  const char* text;
  const char* message;
  int line;
};

TEST(Lexer, ErrorsNameThePlace) {
  const ErrorRow rows[] = {
      {"unterminated comment is reported at end of file", "a /* b\nc", "Unterminated comment", 2},
      {"unterminated string", "a\n\"abc\n", "Unterminated string", 2},
      {"number larger than 32 bits", "4294967296", "Number out of range", 1},
      {"stray character", "a\n$", "Unknown character", 2},
  };
  for (auto& row : rows) {
    try {
      tokens(row.text);
      ADD_FAILURE() << row.name << ": no error";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.message, row.message) << row.name;
      EXPECT_EQ(e.where.line, row.line) << row.name;
      EXPECT_EQ(e.where.file, "t.conf") << row.name;
    }
  }
}

TEST(Lexer, IncludeIsRelativeToTheIncludingFile) {
  Lexer lexer(BPFR_SOURCE_DIR "/tests/config/data/bpfrouter/full.conf");
  int words = 0;
  while (lexer.next().kind != Kind::end)
    words++;
  EXPECT_GT(words, 100);
  ASSERT_EQ(lexer.files().size(), 3u);  // full.conf, small-isp.conf, include/bogons.conf
  EXPECT_NE(lexer.files()[2].find("include/bogons.conf"), std::string::npos);
}

TEST(Lexer, IncludeLoopIsAnError) {
  Lexer lexer(BPFR_SOURCE_DIR "/tests/config/data/bad/include-loop.conf");
  try {
    while (lexer.next().kind != Kind::end) {
    }
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message.find("Include loop"), std::string::npos) << e.what();
    EXPECT_EQ(e.where.line, 3);
  }
}

TEST(Lexer, IncludeOnlyAtStatementStart) {
  // `include` inside a statement is an ordinary word for the parser to refuse.
  auto t = tokens("a include \"x\";");
  EXPECT_EQ(t[1].text, "include");
}

}  // namespace
}  // namespace bpfr::config
