#include "control/command.h"

#include <fmt/format.h>

#include <algorithm>

namespace bpfr::control {

namespace {

const std::vector<CommandSpec> kSpecs = {
    {"show status", "show status", "Router ID, version, times of start and last reconfiguration."},
    {"show protocols",
     "show protocols [all] [NAME]",
     "One line per protocol, or NAME's; `all` adds channels, route counts and BGP details.",
     {{"all", ""}},
     "NAME"},
    {"show route",
     "show route [PREFIX] [for ADDR|PREFIX] [table T] [protocol P] [count] [all]",
     "Routes in the tables. A bare PREFIX shows that network, `for` the best match of an address\n"
     "or prefix; `table` one table, `protocol` only routes from P; `count` only the counts;\n"
     "`all` every attribute.",
     {{"for", "ADDR|PREFIX"}, {"protocol", "P"}, {"count", ""}, {"all", ""}, {"table", "T"}},
     "PREFIX"},
    {"show interfaces",
     "show interfaces [summary]",
     "Interfaces with their flags and addresses; `summary` one line each.",
     {{"summary", ""}}},
    {"enable", "enable NAME", "Starts a disabled protocol.", {}, "NAME", true, false},
    {"disable", "disable NAME", "Stops a protocol and keeps it down.", {}, "NAME", true, false},
    {"restart", "restart NAME", "Stops a protocol and starts it again.", {}, "NAME", true, false},
    {"reload",
     "reload [in|out] NAME",
     "Runs the filters again: `in` on received routes (route refresh or the kept Adj-RIB-In),\n"
     "`out` on announced ones; both without either.",
     {{"in", ""}, {"out", ""}},
     "NAME",
     true,
     false},
    {"configure",
     "configure [check]",
     "Reads the configuration file again and applies what changed, keeping sessions whose\n"
     "settings did not change; `check` only parses it.",
     {{"check", ""}},
     "",
     false,
     false},
    {"down", "down", "Stops the daemon.", {}, "", false, false},
    {"restrict", "restrict", "Allows only show commands on this connection from now on."},
};

std::vector<std::string_view> path_words(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t sp = path.find(' ', start);
    if (sp == std::string_view::npos)
      sp = path.size();
    out.push_back(path.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

// The keyword the word stands for: an exact match, else the only keyword it is a prefix of.
// Returns nullopt with *ambiguous set when several keywords fit.
std::optional<std::string_view> resolve(std::string_view word,
                                        const std::vector<std::string_view>& keywords,
                                        bool* ambiguous) {
  *ambiguous = false;
  if (word.empty())
    return std::nullopt;
  if (std::find(keywords.begin(), keywords.end(), word) != keywords.end())
    return word;

  std::optional<std::string_view> found;
  for (auto kw : keywords) {
    if (!kw.starts_with(word))
      continue;
    if (found) {
      *ambiguous = true;
      return std::nullopt;
    }
    found = kw;
  }
  return found;
}

// The keywords the word is a prefix of, for an "ambiguous" message.
std::vector<std::string_view> starting_with(std::string_view word,
                                            const std::vector<std::string_view>& keywords) {
  std::vector<std::string_view> out;
  for (auto kw : keywords)
    if (kw.starts_with(word))
      out.push_back(kw);
  return out;
}

std::string one_of(const std::vector<std::string_view>& keywords) {
  if (keywords.size() == 1)
    return std::string(keywords[0]);
  std::string out;
  for (size_t i = 0; i < keywords.size(); i++) {
    if (i)
      out += i + 1 == keywords.size() ? " or " : ", ";
    out += keywords[i];
  }
  return out;
}

ParseError error_at(size_t index, std::string_view word, std::string_view what) {
  return {fmt::format("syntax error at word {} '{}': {}", index + 1, word, what)};
}

}  // namespace

std::span<const CommandSpec> command_specs() {
  return kSpecs;
}

std::optional<std::string> Command::value(std::string_view keyword) const {
  auto it = options.find(keyword);
  if (it == options.end())
    return std::nullopt;
  return it->second;
}

std::variant<std::vector<Word>, ParseError> split_words(std::string_view line) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      i++;
      continue;
    }
    if (c == '"') {
      size_t end = line.find('"', i + 1);
      if (end == std::string_view::npos)
        return ParseError{fmt::format("syntax error: quote at column {} is never closed", i + 1)};
      words.push_back({std::string(line.substr(i + 1, end - i - 1)), true});
      i = end + 1;
      continue;
    }
    size_t end = line.find_first_of(" \t\r\"", i);
    if (end == std::string_view::npos)
      end = line.size();
    words.push_back({std::string(line.substr(i, end - i)), false});
    i = end;
  }
  return words;
}

const CommandSpec* find_command(std::span<const Word> words, size_t* consumed) {
  std::vector<const CommandSpec*> candidates;
  for (const auto& s : kSpecs)
    candidates.push_back(&s);

  const CommandSpec* matched = nullptr;
  size_t depth = 0;
  while (true) {
    std::vector<const CommandSpec*> longer;
    std::vector<std::string_view> keywords;
    for (auto* s : candidates) {
      auto pw = path_words(s->path);
      if (pw.size() == depth) {
        matched = s;
        continue;
      }
      longer.push_back(s);
      if (std::find(keywords.begin(), keywords.end(), pw[depth]) == keywords.end())
        keywords.push_back(pw[depth]);
    }
    if (longer.empty() || depth == words.size() || words[depth].quoted)
      break;
    bool ambiguous = false;
    auto kw = resolve(words[depth].text, keywords, &ambiguous);
    if (!kw)
      break;
    std::erase_if(longer, [&](auto* s) { return path_words(s->path)[depth] != *kw; });
    candidates = std::move(longer);
    matched = nullptr;
    depth++;
  }
  *consumed = depth;
  return matched;
}

std::variant<Command, ParseError> parse_command(std::string_view line) {
  auto split = split_words(line);
  if (auto* err = std::get_if<ParseError>(&split))
    return *err;
  return parse_command(std::get<std::vector<Word>>(split));
}

namespace {

// What could stand at words[depth] after a partial path: for the error message.
std::vector<std::string_view> next_keywords(std::span<const Word> words, size_t depth) {
  std::vector<std::string_view> out;
  for (const auto& s : kSpecs) {
    auto pw = path_words(s.path);
    if (pw.size() <= depth)
      continue;
    bool prefix = true;
    for (size_t i = 0; i < depth && prefix; i++) {
      bool ambiguous = false;
      prefix = resolve(words[i].text, {pw[i]}, &ambiguous).has_value();
    }
    if (prefix && std::find(out.begin(), out.end(), pw[depth]) == out.end())
      out.push_back(pw[depth]);
  }
  return out;
}

}  // namespace

std::variant<Command, ParseError> parse_command(std::span<const Word> all_words) {
  Command cmd;
  auto words = all_words;
  if (!words.empty() && !words[0].quoted && words[0].text == "json") {
    cmd.json = true;
    words = words.subspan(1);
  }
  size_t base = all_words.size() - words.size();
  if (words.empty())
    return ParseError{"syntax error: empty command"};

  size_t depth = 0;
  cmd.spec = find_command(words, &depth);
  if (!cmd.spec) {
    auto expected = next_keywords(words, depth);
    if (depth == words.size())
      return ParseError{fmt::format("syntax error: '{}' is incomplete, expected {}",
                                    words[depth - 1].text, one_of(expected))};
    bool ambiguous = false;
    resolve(words[depth].text, expected, &ambiguous);
    return error_at(base + depth, words[depth].text,
                    ambiguous ? fmt::format("ambiguous, could be {}",
                                            one_of(starting_with(words[depth].text, expected)))
                              : fmt::format("unknown, expected {}", one_of(expected)));
  }

  // Options in any order, each at most once, then at most one free argument.
  std::vector<std::string_view> keywords;
  for (const auto& o : cmd.spec->options)
    keywords.push_back(o.keyword);
  for (size_t i = depth; i < words.size(); i++) {
    const Word& w = words[i];
    bool ambiguous = false;
    auto kw = w.quoted ? std::nullopt : resolve(w.text, keywords, &ambiguous);
    if (ambiguous)
      return error_at(
          base + i, w.text,
          fmt::format("ambiguous, could be {}", one_of(starting_with(w.text, keywords))));
    if (kw) {
      if (cmd.options.contains(*kw))
        return error_at(base + i, w.text, fmt::format("'{}' given twice", *kw));
      auto spec = std::find_if(cmd.spec->options.begin(), cmd.spec->options.end(),
                               [&](const OptionSpec& o) { return o.keyword == *kw; });
      std::string value;
      if (!spec->value.empty()) {
        if (i + 1 == words.size())
          return error_at(base + i, w.text, fmt::format("expects {} after it", spec->value));
        value = words[++i].text;
      }
      cmd.options.emplace(std::string(*kw), std::move(value));
      continue;
    }
    if (cmd.argument)
      return error_at(base + i, w.text,
                      fmt::format("unexpected, '{}' takes one {}, already given '{}'",
                                  cmd.spec->path, cmd.spec->argument, *cmd.argument));
    if (cmd.spec->argument.empty()) {
      std::string expected = keywords.empty() ? "nothing" : one_of(keywords);
      return error_at(base + i, w.text,
                      fmt::format("unexpected, '{}' takes {}", cmd.spec->path, expected));
    }
    cmd.argument = w.text;
  }

  if (cmd.spec->argument_required && !cmd.argument)
    return ParseError{
        fmt::format("syntax error: '{}' needs {}", cmd.spec->path, cmd.spec->argument)};
  if (cmd.has("in") && cmd.has("out"))
    return ParseError{"syntax error: 'reload' takes either 'in' or 'out', not both"};
  return cmd;
}

}  // namespace bpfr::control
