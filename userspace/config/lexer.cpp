#include "config/lexer.h"

#include <arpa/inet.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/parser.h"

namespace bpfr::config {

namespace {

constexpr size_t max_include_depth = 8;

bool is_word_start(char c) { return std::isalpha(uint8_t(c)) || c == '_'; }
bool is_word_char(char c) { return std::isalnum(uint8_t(c)) || c == '_'; }
bool is_addr_char(char c) { return std::isxdigit(uint8_t(c)) || c == ':' || c == '.'; }

std::string read_file(const std::string& path, const SourceLocation& from) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(from, fmt::format("Unable to open included file {}", path), path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The longest IPv6 address at the start of `run`, in BIRD's sense: it has "::" or at least
// three colons. Returns its length, or 0.
size_t ipv6_length(std::string_view run, Address& out) {
  if (run.find("::") == std::string_view::npos && std::count(run.begin(), run.end(), ':') < 3)
    return 0;
  for (size_t len = run.size(); len >= 2; len--) {
    auto a = Address::parse(run.substr(0, len));
    if (a && !a->is_v4()) {
      out = *a;
      return len;
    }
  }
  return 0;
}

size_t ipv4_length(std::string_view run, Address& out) {
  // digits.digits.digits.digits, no more
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t start = i;
    while (i < run.size() && std::isdigit(uint8_t(run[i])))
      i++;
    if (i == start || i - start > 3)
      return 0;
    if (part < 3) {
      if (i >= run.size() || run[i] != '.')
        return 0;
      i++;
    }
  }
  auto a = Address::parse(run.substr(0, i));
  if (!a)
    return 0;
  out = *a;
  return i;
}

}  // namespace

ConfigError::ConfigError(SourceLocation w, std::string msg, std::string at)
    : std::runtime_error(at.empty() ? fmt::format("{}:{}:{}: {}", w.file, w.line, w.column, msg)
                                    : fmt::format("{}:{}:{}: {} near '{}'", w.file, w.line,
                                                  w.column, msg, at)),
      where(std::move(w)),
      message(std::move(msg)),
      word(std::move(at)) {}

Lexer::Lexer(const std::string& path) { push_file(path, SourceLocation{path, 0, 0}); }

Lexer::Lexer(std::string_view text, const std::string& name) {
  auto s = std::make_unique<Source>();
  s->name = name;
  s->text = std::string(text);
  files_.push_back(name);
  stack_.push_back(std::move(s));
}

void Lexer::push_file(const std::string& path, const SourceLocation& from) {
  char real[PATH_MAX];
  std::string canonical = realpath(path.c_str(), real) ? real : path;
  for (auto& s : stack_) {
    char other[PATH_MAX];
    if (realpath(s->name.c_str(), other) && canonical == other)
      throw ConfigError(from, fmt::format("Include loop: {} includes itself", path), path);
  }
  if (stack_.size() >= max_include_depth)
    throw ConfigError(from, "Max include depth reached", path);

  auto s = std::make_unique<Source>();
  s->name = path;
  s->text = read_file(path, from);
  files_.push_back(path);
  stack_.push_back(std::move(s));
}

const Token& Lexer::peek(size_t ahead) {
  while (lookahead_.size() <= ahead)
    lookahead_.push_back(scan());
  return lookahead_[ahead];
}

Token Lexer::next() {
  peek();
  Token t = std::move(lookahead_.front());
  lookahead_.erase(lookahead_.begin());
  if (record_) {
    if (t.kind == Token::Kind::string)
      *record_ += '"' + t.text + "\" ";
    else
      *record_ += t.text + ' ';
  }
  return t;
}

Token Lexer::scan() {
  for (;;) {
    while (!stack_.empty()) {
      skip_space(*stack_.back());
      if (stack_.back()->pos < stack_.back()->text.size())
        break;
      if (stack_.size() == 1)
        break;
      stack_.pop_back();
    }
    Token t = scan_one(*stack_.back());
    bool was_start = at_statement_start_;
    at_statement_start_ = t.kind == Token::Kind::punct && (t.text == ";" || t.text == "{" || t.text == "}");
    if (was_start && t.kind == Token::Kind::word && t.text == "include") {
      handle_include();
      at_statement_start_ = true;
      continue;
    }
    return t;
  }
}

void Lexer::handle_include() {
  Source& s = *stack_.back();
  skip_space(s);
  Token name = scan_one(s);
  if (name.kind != Token::Kind::string)
    throw ConfigError(name.where, "syntax error", name.text);
  skip_space(s);
  Token semi = scan_one(s);
  if (!semi.is(";"))
    throw ConfigError(semi.where, "syntax error", semi.text);

  std::filesystem::path pattern(name.text);
  if (pattern.is_relative())
    pattern = std::filesystem::path(s.name).parent_path() / pattern;

  // Globs expand in order; a pattern that matches nothing is an error only without wildcards.
  glob_t g{};
  int rc = glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> paths;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; i++)
      paths.push_back(g.gl_pathv[i]);
  globfree(&g);
  bool wildcard = name.text.find_first_of("*?[") != std::string::npos;
  if (paths.empty() && !wildcard)
    paths.push_back(pattern.string());

  // Pushed in reverse, so the first match is read first.
  for (auto it = paths.rbegin(); it != paths.rend(); ++it)
    push_file(*it, name.where);
}

void Lexer::skip_space(Source& s) {
  auto advance = [&s] {
    if (s.text[s.pos] == '\n') {
      s.line++;
      s.column = 1;
    } else {
      s.column++;
    }
    s.pos++;
  };
  while (s.pos < s.text.size()) {
    char c = s.text[s.pos];
    if (std::isspace(uint8_t(c))) {
      advance();
    } else if (c == '#') {
      while (s.pos < s.text.size() && s.text[s.pos] != '\n')
        advance();
    } else if (c == '/' && s.pos + 1 < s.text.size() && s.text[s.pos + 1] == '*') {
      advance();
      advance();
      while (s.pos + 1 < s.text.size() && !(s.text[s.pos] == '*' && s.text[s.pos + 1] == '/'))
        advance();
      if (s.pos + 1 >= s.text.size()) {
        while (s.pos < s.text.size())
          advance();
        throw ConfigError(SourceLocation{s.name, s.line, s.column}, "Unterminated comment", "");
      }
      advance();
      advance();
    } else {
      break;
    }
  }
}

Token Lexer::scan_one(Source& s) {
  Token t;
  t.where = SourceLocation{s.name, s.line, s.column};
  if (s.pos >= s.text.size())
    return t;

  std::string_view rest(s.text);
  rest.remove_prefix(s.pos);
  size_t len = 0;
  char c = rest[0];

  if (c == '"') {
    size_t close = rest.find_first_of("\"\n", 1);
    if (close == std::string_view::npos || rest[close] != '"')
      throw ConfigError(t.where, "Unterminated string", "");
    t.kind = Token::Kind::string;
    t.text = std::string(rest.substr(1, close - 1));
    len = close + 1;
  } else if (c == '\'') {
    // 'quoted symbol'
    size_t close = rest.find_first_of("'\n", 1);
    if (close == std::string_view::npos || rest[close] != '\'')
      throw ConfigError(t.where, "Unterminated symbol", "");
    t.kind = Token::Kind::word;
    t.text = std::string(rest.substr(1, close - 1));
    len = close + 1;
  } else if (is_addr_char(c) && c != '.') {
    size_t run = 0;
    while (run < rest.size() && is_addr_char(rest[run]))
      run++;
    Address a;
    if (size_t n = ipv6_length(rest.substr(0, run), a); n) {
      t.kind = Token::Kind::ip6;
      t.addr = a;
      len = n;
      t.text = std::string(rest.substr(0, n));
    } else if (size_t n4 = ipv4_length(rest.substr(0, run), a); n4) {
      t.kind = Token::Kind::ip4;
      t.addr = a;
      len = n4;
      t.text = std::string(rest.substr(0, n4));
    }
    if (len && len < rest.size() && is_word_char(rest[len]))
      len = 0;  // "1.2.3.4x": not an address
    if (!len && std::isdigit(uint8_t(c))) {
      t.kind = Token::Kind::number;
      int base = 10;
      size_t i = 0;
      if (rest.size() > 2 && c == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
        base = 16;
        i = 2;
      }
      uint64_t v = 0;
      size_t start = i;
      while (i < rest.size() && (base == 16 ? std::isxdigit(uint8_t(rest[i])) : std::isdigit(uint8_t(rest[i])))) {
        v = v * base + (std::isdigit(uint8_t(rest[i])) ? rest[i] - '0' : (std::tolower(rest[i]) - 'a' + 10));
        if (v > 0xffffffffull)
          throw ConfigError(t.where, "Number out of range", std::string(rest.substr(0, i + 1)));
        i++;
      }
      if (i == start || (i < rest.size() && is_word_char(rest[i])))
        throw ConfigError(t.where, "syntax error", std::string(rest.substr(0, std::max<size_t>(i, 1))));
      t.number = v;
      t.text = std::string(rest.substr(0, i));
      len = i;
    }
  }
  if (!len && is_word_start(c)) {
    while (len < rest.size() && is_word_char(rest[len]))
      len++;
    t.kind = Token::Kind::word;
    t.text = std::string(rest.substr(0, len));
  }
  if (!len) {
    static constexpr std::string_view two[] = {"..", "!=", "<=", ">=", "!~", "&&", "||",
                                               "[=", "=]", "->"};
    t.kind = Token::Kind::punct;
    for (auto p : two)
      if (rest.substr(0, 2) == p)
        len = 2;
    if (!len) {
      if (std::string_view("{}()[];,.:=<>+-*/!~%&|?").find(c) == std::string_view::npos)
        throw ConfigError(t.where, "Unknown character", std::string(1, c));
      len = 1;
    }
    t.text = std::string(rest.substr(0, len));
  }
  if (t.kind != Token::Kind::string && t.kind != Token::Kind::word && t.text.empty())
    t.text = std::string(rest.substr(0, len));
  for (size_t i = 0; i < len; i++) {
    if (s.text[s.pos] == '\n') {
      s.line++;
      s.column = 1;
    } else {
      s.column++;
    }
    s.pos++;
  }
  return t;
}

}  // namespace bpfr::config
