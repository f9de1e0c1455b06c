// Tokens of a BIRD configuration, read across `include`d files.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"
#include "config/config.h"

namespace bpfr::config {

struct Token {
  enum class Kind : uint8_t { end, word, number, ip4, ip6, string, punct };
  Kind kind = Kind::end;
  std::string text;  // word, string contents, punctuation ("{", "..", "!=", "[=", ...)
  uint64_t number = 0;
  Address addr;
  SourceLocation where;

  bool is(std::string_view punct_or_word) const {
    return (kind == Kind::punct || kind == Kind::word) && text == punct_or_word;
  }
};

// Splits the configuration into tokens. `include "FILE";` is followed here, relative to the
// including file, with globbing and loop detection, so the parser sees one stream.
class Lexer {
 public:
  // Reads `path` from disk.
  explicit Lexer(const std::string& path);
  // Uses `text` as the contents of `name`.
  Lexer(std::string_view text, const std::string& name);

  const Token& peek(size_t ahead = 0);
  Token next();
  const std::vector<std::string>& files() const { return files_; }
  // While set, next() appends each token's text to *out (filter texts kept for reload).
  void record(std::string* out) { record_ = out; }

 private:
  struct Source {
    std::string name;
    std::string text;
    size_t pos = 0;
    int line = 1, column = 1;
  };

  void push_file(const std::string& path, const SourceLocation& from);
  Token scan();
  Token scan_one(Source& s);
  void skip_space(Source& s);
  void handle_include();

  std::vector<std::unique_ptr<Source>> stack_;
  std::vector<Token> lookahead_;
  std::vector<std::string> files_;
  bool at_statement_start_ = true;
  std::string* record_ = nullptr;
};

}  // namespace bpfr::config
