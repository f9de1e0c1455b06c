#include "control/command.h"

#include <gtest/gtest.h>

namespace bpfr::control {
namespace {

struct Row {
  const char* name;
  const char* line;
  const char* path;  // nullptr: a parse error is expected
  std::map<std::string, std::string, std::less<>> options;
  std::optional<std::string> argument;
  const char* error = "";
  bool json = false;
};

TEST(ParseCommand, Rows) {
  const Row rows[] = {
      {"full words", "show status", "show status", {}, {}},
      {"unique prefixes stand for keywords", "sh st", "show status", {}, {}},
      {"sh ro is show route", "sh ro", "show route", {}, {}},
      {"blanks and tabs are separators", "  show \t route  ", "show route", {}, {}},
      {"show protocols all NAME",
       "show protocols all upstream1",
       "show protocols",
       {{"all", ""}},
       "upstream1"},
      {"options in any order", "sh p upstream1 a", "show protocols", {{"all", ""}}, "upstream1"},
      {"show route for an address",
       "show route for 192.0.2.1",
       "show route",
       {{"for", "192.0.2.1"}},
       {}},
      {"show route with every option",
       "show route for 2001:db8::/32 protocol up1 count all",
       "show route",
       {{"for", "2001:db8::/32"}, {"protocol", "up1"}, {"count", ""}, {"all", ""}},
       {}},
      {"option prefixes",
       "sh ro pro static4 cou",
       "show route",
       {{"protocol", "static4"}, {"count", ""}},
       {}},
      {"a bare prefix is the argument", "show route 10.0.0.0/8", "show route", {}, "10.0.0.0/8"},
      {"show interfaces summary",
       "show interfaces summary",
       "show interfaces",
       {{"summary", ""}},
       {}},
      {"disable NAME", "disable upstream1", "disable", {}, "upstream1"},
      {"quoted names are never keywords", "show protocols \"all\"", "show protocols", {}, "all"},
      {"reload in NAME", "reload in upstream1", "reload", {{"in", ""}}, "upstream1"},
      {"reload out NAME", "rel o upstream1", "reload", {{"out", ""}}, "upstream1"},
      {"configure", "configure", "configure", {}, {}},
      {"configure check", "conf ch", "configure", {{"check", ""}}, {}},
      {"down", "down", "down", {}, {}},
      {"json prefix", "json show route count", "show route", {{"count", ""}}, {}, "", true},

      {"empty line", "", nullptr, {}, {}, "syntax error: empty command"},
      {"unknown command",
       "foo",
       nullptr,
       {},
       {},
       "syntax error at word 1 'foo': unknown, expected show, enable, disable, restart, reload, "
       "configure, down or restrict"},
      {"incomplete command",
       "show",
       nullptr,
       {},
       {},
       "syntax error: 'show' is incomplete, expected status, protocols, route or interfaces"},
      {"ambiguous abbreviation",
       "re x",
       nullptr,
       {},
       {},
       "syntax error at word 1 're': ambiguous, could be restart, reload or restrict"},
      {"unknown second word",
       "show nothing",
       nullptr,
       {},
       {},
       "syntax error at word 2 'nothing': unknown, expected status, protocols, route or "
       "interfaces"},
      {"option without its value",
       "show route for",
       nullptr,
       {},
       {},
       "syntax error at word 3 'for': expects ADDR|PREFIX after it"},
      {"option twice",
       "show route all all",
       nullptr,
       {},
       {},
       "syntax error at word 4 'all': 'all' given twice"},
      {"two arguments",
       "show protocols a b c",
       nullptr,
       {},
       {},
       "syntax error at word 5 'c': unexpected, 'show protocols' takes one NAME, already given "
       "'b'"},
      {"a word where none is taken",
       "show status now",
       nullptr,
       {},
       {},
       "syntax error at word 3 'now': unexpected, 'show status' takes nothing"},
      {"missing name", "disable", nullptr, {}, {}, "syntax error: 'disable' needs NAME"},
      {"in and out together",
       "reload in out x",
       nullptr,
       {},
       {},
       "syntax error: 'reload' takes either 'in' or 'out', not both"},
      {"unterminated quote",
       "show protocols \"x",
       nullptr,
       {},
       {},
       "syntax error: quote at column 16 is never closed"},
      {"json alone", "json", nullptr, {}, {}, "syntax error: empty command"},
      {"json is never abbreviated",
       "js show status",
       nullptr,
       {},
       {},
       "syntax error at word 1 'js': unknown, expected show, enable, disable, restart, reload, "
       "configure, down or restrict"},
  };
  for (const auto& row : rows) {
    auto parsed = parse_command(row.line);
    if (!row.path) {
      auto* err = std::get_if<ParseError>(&parsed);
      ASSERT_NE(err, nullptr) << row.name;
      EXPECT_EQ(err->message, row.error) << row.name;
      continue;
    }
    auto* cmd = std::get_if<Command>(&parsed);
    ASSERT_NE(cmd, nullptr) << row.name << ": " << std::get<ParseError>(parsed).message;
    EXPECT_EQ(cmd->path(), row.path) << row.name;
    EXPECT_EQ(cmd->options, row.options) << row.name;
    EXPECT_EQ(cmd->argument, row.argument) << row.name;
    EXPECT_EQ(cmd->json, row.json) << row.name;
  }
}

TEST(ParseCommand, BinaryJunkIsAnErrorNotACrash) {
  std::string junk;
  for (int i = 0; i < 256; i++)
    junk += char(i);
  auto parsed = parse_command(junk);
  EXPECT_TRUE(std::holds_alternative<ParseError>(parsed));
}

TEST(FindCommand, ResolvesThePathForHelp) {
  std::vector<Word> words = {{"sh"}, {"ro"}, {"for"}};
  size_t consumed = 0;
  auto* spec = find_command(words, &consumed);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->path, "show route");
  EXPECT_EQ(consumed, 2u);
}

}  // namespace
}  // namespace bpfr::control
