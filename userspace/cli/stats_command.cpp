#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <thread>

#include "cli/cli.h"
#include "stats/reader.h"
#include "stats/report.h"

namespace bpfr::cli {

namespace {

struct StatsOptions {
  size_t top = 0;
  std::optional<Prefix> prefix;
  double interval = 1.0;
  bool watch = false;
  std::optional<uint64_t> count;
  std::string pin_root = "/sys/fs/bpf/bpfrouter";
};

template <class T>
std::optional<T> number(const std::string& text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return v;
}

std::optional<std::string> parse(const std::vector<std::string>& args, StatsOptions& o) {
  for (size_t i = 0; i < args.size(); i++) {
    std::string a = args[i];
    std::optional<std::string> value;
    if (auto eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto need = [&]() -> std::optional<std::string> {
      if (value)
        return value;
      if (i + 1 == args.size())
        return std::nullopt;
      return args[++i];
    };

    if (a == "--watch") {
      o.watch = true;
    } else if (a == "--top" || a == "--count") {
      auto v = need();
      auto n = v ? number<uint64_t>(*v) : std::nullopt;
      if (!n || *n == 0)
        return fmt::format("{} needs a positive whole number{}", a, v ? ", not '" + *v + "'" : "");
      if (a == "--top")
        o.top = *n;
      else
        o.count = *n;
    } else if (a == "--interval") {
      auto v = need();
      auto n = v ? number<double>(*v) : std::nullopt;
      if (!n || *n < 0 || *n > 3600)
        return fmt::format("--interval needs seconds between 0 and 3600{}",
                           v ? ", not '" + *v + "'" : "");
      o.interval = *n;
    } else if (a == "--prefix") {
      auto v = need();
      auto p = v ? Prefix::parse(*v) : std::nullopt;
      if (!p && v)
        if (auto addr = Address::parse(*v))
          p = Prefix::make(*addr, addr->bits());
      if (!p)
        return fmt::format("--prefix needs a prefix or address{}", v ? ", not '" + *v + "'" : "");
      o.prefix = p;
    } else if (a == "--pin-root") {
      auto v = need();
      if (!v || v->empty())
        return std::string("--pin-root needs a path");
      o.pin_root = *v;
    } else {
      return fmt::format("unknown stats option '{}'", args[i]);
    }
  }
  if (o.count && !o.watch)
    return std::string("--count only goes with --watch");
  if (o.watch && o.interval == 0)
    return std::string("--watch needs an --interval above 0");
  return std::nullopt;
}

void sleep_for(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace

int run_stats(const std::vector<std::string>& args, bool json, std::ostream& out,
              std::ostream& err) {
  StatsOptions o;
  if (auto e = parse(args, o)) {
    err << "bpfrouter stats: " << *e << "; see bpfrouter stats --help\n";
    return exit_code::usage;
  }
  auto opened = stats::Reader::open(o.pin_root);
  if (auto* e = std::get_if<std::string>(&opened)) {
    err << "bpfrouter stats: " << *e << "\n";
    return exit_code::unreachable;
  }
  const auto& reader = std::get<stats::Reader>(opened);

  stats::ReportOptions ro;
  ro.top = o.top;
  ro.prefix = o.prefix;
  ro.pin_root = o.pin_root;
  bool clear = o.watch && !json && isatty(STDOUT_FILENO);

  std::optional<stats::Snapshot> before;
  auto take = [&]() -> std::optional<stats::Snapshot> {
    auto s = reader.read();
    if (auto* e = std::get_if<std::string>(&s)) {
      err << "bpfrouter stats: " << *e << "\n";
      return std::nullopt;
    }
    return std::get<stats::Snapshot>(std::move(s));
  };

  if (o.interval > 0) {
    before = take();
    if (!before)
      return exit_code::error_reply;
    sleep_for(o.interval);
  }
  for (uint64_t shown = 0; !o.count || shown < *o.count; shown++) {
    if (shown)
      sleep_for(o.interval);
    auto now = take();
    if (!now)
      return exit_code::error_reply;
    auto report = stats::make_report(before ? &*before : nullptr, *now, ro);
    if (clear)
      out << "\x1b[H\x1b[2J";
    if (json)
      out << stats::to_json(report, o.pin_root).dump(o.watch ? -1 : 2) << "\n";
    else
      out << stats::format_text(report);
    out.flush();
    if (!o.watch)
      break;
    before = std::move(now);
  }
  return exit_code::ok;
}

}  // namespace bpfr::cli
