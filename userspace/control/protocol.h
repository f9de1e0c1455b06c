// BIRD's control-socket protocol: every reply line starts with a four-digit code followed by
// '-' (more lines follow) or ' ' (the last line); a line that continues the previous line's
// code may start with a single space instead. Codes 0xxx end an action, 1xxx carry table rows,
// 2xxx table headings, 8xxx run-time errors, 9xxx parse errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfr::control {

// Reply codes, as BIRD 2 assigns them, plus bpfrouter's own (marked).
namespace code {
inline constexpr int ok = 0;
inline constexpr int welcome = 1;
inline constexpr int reading_config = 2;
inline constexpr int reconfigured = 3;
inline constexpr int shutdown_ordered = 7;
inline constexpr int already_disabled = 8;
inline constexpr int disabled = 9;
inline constexpr int already_enabled = 10;
inline constexpr int enabled = 11;
inline constexpr int restarted = 12;
inline constexpr int status_report = 13;
inline constexpr int route_count = 14;
inline constexpr int reloading = 15;
inline constexpr int access_restricted = 16;
inline constexpr int config_ok = 20;

inline constexpr int version = 1000;
inline constexpr int interface_list = 1001;
inline constexpr int protocol_list = 1002;
inline constexpr int interface_address = 1003;
inline constexpr int interface_flags = 1004;
inline constexpr int interface_summary = 1005;
inline constexpr int protocol_details = 1006;
inline constexpr int route_list = 1007;
inline constexpr int route_details = 1008;
inline constexpr int uptime = 1011;
inline constexpr int route_attributes = 1012;
inline constexpr int json = 1099;  // bpfrouter: a JSON document, one line of it per line

inline constexpr int protocol_heading = 2002;
inline constexpr int interface_heading = 2005;

inline constexpr int reply_too_long = 8000;
inline constexpr int not_found = 8001;
inline constexpr int config_error = 8002;
inline constexpr int no_protocols = 8003;
inline constexpr int reload_failed = 8006;
inline constexpr int access_denied = 8007;
inline constexpr int not_implemented = 8090;   // bpfrouter: the daemon has no handler for it
inline constexpr int internal_error = 8099;    // bpfrouter: a handler failed unexpectedly
inline constexpr int too_many_clients = 8098;  // bpfrouter: connection limit reached

inline constexpr int command_too_long = 9000;
inline constexpr int syntax_error = 9001;
}  // namespace code

inline bool is_error_code(int c) {
  return c >= 8000;
}

struct ReplyLine {
  int code = 0;
  std::string text;

  bool operator==(const ReplyLine&) const = default;
};

// One reply: zero or more lines, then the final line. A text holding '\n' is several lines
// with the same code.
class Reply {
 public:
  Reply& add(int code, std::string_view text);
  Reply& finish(int code, std::string_view text = {});

  static Reply error(int code, std::string_view text) { return Reply().finish(code, text); }
  static Reply done(int code = code::ok, std::string_view text = {}) {
    return Reply().finish(code, text);
  }

  const std::vector<ReplyLine>& lines() const { return lines_; }
  bool finished() const { return finished_; }
  int final_code() const { return lines_.empty() ? -1 : lines_.back().code; }

  // The bytes on the socket; an unfinished reply gets "0000 " as its final line.
  std::string wire() const;

 private:
  std::vector<ReplyLine> lines_;
  bool finished_ = false;
};

// Reassembles replies from the byte stream, for the client and for tests.
class ReplyDecoder {
 public:
  explicit ReplyDecoder(size_t max_line = 1 << 20) : max_line_(max_line) {}

  struct Line {
    int code;
    std::string text;
    bool final;
  };

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete line, nullopt when more bytes are needed. A malformed line (no code, no
  // leading space, or longer than max_line) sets error() and returns nullopt from then on.
  std::optional<Line> next();
  const std::string& error() const { return error_; }

 private:
  size_t max_line_;
  std::string buffer_;
  int last_code_ = -1;
  std::string error_;
};

}  // namespace bpfr::control
