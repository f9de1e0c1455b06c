#include "cli/cli.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "control/client.h"
#include "control/command.h"
#include "control/protocol.h"

namespace bpfr::cli {

namespace {

constexpr std::string_view kDefaultSocket = "/run/bpfrouter/bpfrouter.ctl";

constexpr std::string_view kStatsUsage =
    "stats [--top N] [--prefix P] [--interval S] [--watch] [--count N] [--pin-root PATH]";
constexpr std::string_view kStatsHelp =
    "Per-prefix packets, bytes and rates from the fast path's pinned counters, busiest first,\n"
    "with totals per action, drop reason, interface and filter-list entry. Reads the maps\n"
    "directly, so it works while the daemon is down.\n"
    "  --top N          only the N busiest prefixes\n"
    "  --prefix P       only prefixes that cover or fall inside P\n"
    "  --interval S     seconds between the two reads that give rates (default 1; 0: counters\n"
    "                   only)\n"
    "  --watch          print again every interval, like top (Ctrl-C ends it)\n"
    "  --count N        with --watch: stop after N reports\n"
    "  --pin-root PATH  where the maps are pinned (default /sys/fs/bpf/bpfrouter)\n"
    "  --json           one JSON document per report (schema bpfrouter-stats/1, docs/control.md)";

struct Options {
  std::string socket = std::string(kDefaultSocket);
  bool json = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> words;  // the command, options of `stats` included
};

void general_help(std::ostream& out) {
  out << "Usage: bpfrouter [-s PATH] [--json] COMMAND ...\n\n"
         "Shows and controls bpfrouterd through its control socket, which speaks BIRD's\n"
         "protocol (birdc -s PATH works as well). Keywords may be shortened: `sh ro`.\n\n"
         "Commands:\n";
  for (const auto& spec : control::command_specs()) {
    if (spec.path == "restrict")
      continue;
    out << fmt::format("  {}\n", spec.usage);
  }
  out << fmt::format("  {}\n", kStatsUsage);
  out << "\nOptions (anywhere on the command line):\n"
         "  -s, --socket PATH  control socket (default /run/bpfrouter/bpfrouter.ctl)\n"
         "  --json             JSON output, for scripts\n"
         "  -h, --help         this help; `bpfrouter COMMAND --help` explains one command\n"
         "  -V, --version      the version\n"
         "\nExit status:\n"
         "  0  success\n"
         "  1  the daemon answered with an error (stats: the maps could not be read)\n"
         "  2  usage error: unknown command or option\n"
         "  3  bpfrouterd is not reachable on the socket (stats: no pinned maps)\n"
         "  4  the connection broke or a reply was malformed\n";
}

// Options may stand anywhere; everything else is a word of the command.
std::optional<std::string> parse_args(const std::vector<std::string>& args, Options& o) {
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "--json") {
      o.json = true;
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "-V" || a == "--version") {
      o.version = true;
    } else if (a == "-s" || a == "--socket") {
      if (i + 1 == args.size())
        return fmt::format("{} needs a path", a);
      o.socket = args[++i];
    } else if (a.starts_with("--socket=")) {
      o.socket = a.substr(9);
    } else {
      o.words.push_back(a);
    }
  }
  return std::nullopt;
}

bool is_stats(const std::vector<std::string>& words) {
  return !words.empty() && words[0].size() >= 2 && std::string_view("stats").starts_with(words[0]);
}

// Words go on the wire separated by blanks; a word holding blanks or quotes is quoted.
std::string request_line(const std::vector<std::string>& words, bool json) {
  std::string line = json ? "json" : "";
  for (const auto& w : words) {
    if (!line.empty())
      line += ' ';
    if (w.empty() || w.find_first_of(" \t\"") != std::string::npos)
      line += '"' + w + '"';
    else
      line += w;
  }
  return line;
}

int print_reply(const control::Client::Lines& lines, bool json, std::ostream& out,
                std::ostream& err) {
  const auto& last = lines.back();
  bool failed = control::is_error_code(last.code);
  if (!json) {
    if (failed) {
      err << "bpfrouter: " << last.text << "\n";
      return exit_code::error_reply;
    }
    for (const auto& l : lines)
      if (!(l.final && l.code == control::code::ok && l.text.empty()))
        out << l.text << "\n";
    return exit_code::ok;
  }

  if (failed) {
    out << nlohmann::json({{"error", {{"code", last.code}, {"message", last.text}}}}).dump(2)
        << "\n";
    return exit_code::error_reply;
  }
  std::string doc;
  auto messages = nlohmann::json::array();
  for (const auto& l : lines) {
    if (l.code == control::code::json)
      doc += l.text + "\n";
    else if (!(l.final && l.code == control::code::ok && l.text.empty()))
      messages.push_back({{"code", l.code}, {"text", l.text}});
  }
  if (doc.empty()) {
    out << nlohmann::json({{"code", last.code}, {"messages", messages}}).dump(2) << "\n";
    return exit_code::ok;
  }
  auto parsed = nlohmann::json::parse(doc, nullptr, false);
  if (parsed.is_discarded()) {
    err << "bpfrouter: the daemon's JSON reply does not parse\n";
    return exit_code::broken;
  }
  out << parsed.dump(2) << "\n";
  return exit_code::ok;
}

int command_help(const std::vector<std::string>& words, std::ostream& out, std::ostream& err) {
  if (is_stats(words)) {
    out << "Usage: bpfrouter " << kStatsUsage << "\n\n" << kStatsHelp << "\n";
    return exit_code::ok;
  }
  std::vector<control::Word> ws;
  for (const auto& w : words)
    ws.push_back({w, false});
  size_t consumed = 0;
  const control::CommandSpec* spec = control::find_command(ws, &consumed);
  if (!spec) {
    // A partial path ("show"): list the commands it begins.
    bool any = false;
    for (const auto& s : control::command_specs()) {
      std::vector<std::string_view> path;
      for (size_t start = 0; start < s.path.size();) {
        size_t sp = std::min(s.path.find(' ', start), s.path.size());
        path.push_back(s.path.substr(start, sp - start));
        start = sp + 1;
      }
      bool match = consumed > 0 && consumed < path.size();
      for (size_t i = 0; i < consumed && match; i++)
        match = path[i].starts_with(words[i]);
      if (!match)
        continue;
      out << (any ? "" : "Usage:\n") << "  bpfrouter " << s.usage << "\n";
      any = true;
    }
    if (any)
      return exit_code::ok;
    err << fmt::format("bpfrouter: no command '{}'; see bpfrouter --help\n", words[0]);
    return exit_code::usage;
  }
  out << "Usage: bpfrouter " << spec->usage << "\n\n" << spec->help << "\n";
  return exit_code::ok;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  if (auto e = parse_args(args, o)) {
    err << "bpfrouter: " << *e << "\n";
    return exit_code::usage;
  }
  if (o.version) {
    out << "bpfrouter " << BPFR_VERSION << " (control protocol of BIRD "
        << "2.0.12)\n";
    return exit_code::ok;
  }
  if (o.help && o.words.empty()) {
    general_help(out);
    return exit_code::ok;
  }
  if (o.help)
    return command_help(o.words, out, err);
  if (o.words.empty()) {
    general_help(err);
    return exit_code::usage;
  }

  if (is_stats(o.words))
    return run_stats({o.words.begin() + 1, o.words.end()}, o.json, out, err);

  // Check the command here, so a typo is a usage error even without a daemon.
  for (const auto& w : o.words) {
    if (w.starts_with("-")) {
      err << fmt::format("bpfrouter: unknown option '{}'; see bpfrouter --help\n", w);
      return exit_code::usage;
    }
  }
  std::string line = request_line(o.words, o.json);
  auto parsed = control::parse_command(line);
  if (auto* e = std::get_if<control::ParseError>(&parsed)) {
    err << "bpfrouter: " << e->message << "\n";
    return exit_code::usage;
  }

  auto connected = control::Client::connect(o.socket, std::chrono::seconds(300));
  if (auto* e = std::get_if<std::string>(&connected)) {
    err << "bpfrouter: " << *e << " (is bpfrouterd running? -s sets the socket)\n";
    return exit_code::unreachable;
  }
  auto& client = std::get<control::Client>(connected);
  auto reply = client.request(line);
  if (auto* e = std::get_if<std::string>(&reply)) {
    err << "bpfrouter: " << *e << "\n";
    return exit_code::broken;
  }
  return print_reply(std::get<control::Client::Lines>(reply), o.json, out, err);
}

}  // namespace bpfr::cli
