// The control commands and their words, shared by the server (which parses what clients send)
// and the client (which checks its command line and prints per-command help). Keywords may be
// shortened to any unique prefix, as birdc allows: `sh ro` is `show route`.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bpfr::control {

struct OptionSpec {
  std::string_view keyword;
  std::string_view value;  // placeholder of the value it takes ("ADDR|PREFIX"), empty: a flag
};

struct CommandSpec {
  std::string_view path;  // keywords, space separated: "show route"
  std::string_view usage;
  std::string_view help;
  std::vector<OptionSpec> options;
  std::string_view argument;  // placeholder of a free word (a protocol name), empty: none
  bool argument_required = false;
  bool read_only = true;  // allowed on a restricted connection
};

// Every command, in the order the help lists them.
std::span<const CommandSpec> command_specs();

struct Command {
  const CommandSpec* spec = nullptr;
  std::map<std::string, std::string, std::less<>> options;  // keyword -> value ("" for a flag)
  std::optional<std::string> argument;
  bool json = false;  // the request asked for a JSON document

  std::string_view path() const { return spec ? spec->path : std::string_view(); }
  bool has(std::string_view keyword) const { return options.contains(keyword); }
  std::optional<std::string> value(std::string_view keyword) const;
};

struct ParseError {
  std::string message;  // names the word at fault and its position
};

// A word of a request; quoted words never match keywords.
struct Word {
  std::string text;
  bool quoted = false;
};

// Splits on blanks; "double quotes" keep blanks. An unterminated quote is an error.
std::variant<std::vector<Word>, ParseError> split_words(std::string_view line);

// A request line. The first word `json` (never abbreviated) asks for the JSON reply.
std::variant<Command, ParseError> parse_command(std::string_view line);
std::variant<Command, ParseError> parse_command(std::span<const Word> words);

// The command whose path the words start with, resolving abbreviations; consumed tells how many
// words the path took. Used by the client for `--help` on a subcommand.
const CommandSpec* find_command(std::span<const Word> words, size_t* consumed);

}  // namespace bpfr::control
