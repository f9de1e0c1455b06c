#include "control/protocol.h"

#include <fmt/format.h>

namespace bpfr::control {

Reply& Reply::add(int c, std::string_view text) {
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    lines_.push_back({c, std::string(text.substr(start, nl - start))});
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  return *this;
}

Reply& Reply::finish(int c, std::string_view text) {
  add(c, text);
  finished_ = true;
  return *this;
}

std::string Reply::wire() const {
  std::string out;
  int last = -1;
  size_t n = lines_.size();
  for (size_t i = 0; i < n; i++) {
    const auto& l = lines_[i];
    bool final = finished_ && i + 1 == n;
    if (final)
      fmt::format_to(std::back_inserter(out), "{:04d} {}\n", l.code, l.text);
    else if (l.code == last)
      fmt::format_to(std::back_inserter(out), " {}\n", l.text);
    else
      fmt::format_to(std::back_inserter(out), "{:04d}-{}\n", l.code, l.text);
    last = l.code;
  }
  if (!finished_)
    out += "0000 \n";
  return out;
}

std::optional<ReplyDecoder::Line> ReplyDecoder::next() {
  if (!error_.empty())
    return std::nullopt;

  size_t nl = buffer_.find('\n');
  if (nl == std::string::npos) {
    if (buffer_.size() > max_line_)
      error_ = fmt::format("reply line longer than {} bytes", max_line_);
    return std::nullopt;
  }
  std::string line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 1);
  if (line.size() > max_line_) {
    error_ = fmt::format("reply line longer than {} bytes", max_line_);
    return std::nullopt;
  }

  // Continuation of the previous code: " text".
  if (!line.empty() && line[0] == ' ') {
    if (last_code_ < 0) {
      error_ = "continuation line before any reply code";
      return std::nullopt;
    }
    return Line{last_code_, line.substr(1), false};
  }

  bool digits = line.size() >= 5;
  for (size_t i = 0; digits && i < 4; i++)
    digits = line[i] >= '0' && line[i] <= '9';
  if (!digits || (line[4] != ' ' && line[4] != '-')) {
    error_ = fmt::format("malformed reply line '{}'", line.substr(0, 40));
    return std::nullopt;
  }
  int c = std::stoi(line.substr(0, 4));
  last_code_ = c;
  return Line{c, line.substr(5), line[4] == ' '};
}

}  // namespace bpfr::control
