// A blocking client of the control socket, for the `bpfrouter` program and tests.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/protocol.h"

namespace bpfr::control {

class Client {
 public:
  using Lines = std::vector<ReplyDecoder::Line>;

  Client() = default;
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;

  // Connects and reads the greeting; the error names the path and the cause.
  static std::variant<Client, std::string> connect(const std::string& path,
                                                   std::chrono::seconds timeout);

  const std::string& greeting() const { return greeting_; }

  // Sends one request line and returns the reply's lines, the final one last.
  std::variant<Lines, std::string> request(std::string_view line);

 private:
  std::variant<Lines, std::string> read_reply();

  int fd_ = -1;
  std::string path_;
  std::string greeting_;
  ReplyDecoder decoder_;
};

}  // namespace bpfr::control
