#include "control/client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bpfr::control {

Client::~Client() {
  if (fd_ >= 0)
    ::close(fd_);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      greeting_(std::move(other.greeting_)),
      decoder_(std::move(other.decoder_)) {}

Client& Client::operator=(Client&& other) noexcept {
  std::swap(fd_, other.fd_);
  path_ = std::move(other.path_);
  greeting_ = std::move(other.greeting_);
  decoder_ = std::move(other.decoder_);
  return *this;
}

std::variant<Client, std::string> Client::connect(const std::string& path,
                                                  std::chrono::seconds timeout) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return fmt::format("control socket path {} is too long", path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);

  Client c;
  c.path_ = path;
  c.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd_ < 0)
    return fmt::format("socket: {}", std::strerror(errno));
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(c.fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c.fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(c.fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return fmt::format("cannot connect to {}: {}", path, std::strerror(errno));

  auto hello = c.read_reply();
  if (auto* err = std::get_if<std::string>(&hello))
    return *err;
  const auto& lines = std::get<Lines>(hello);
  if (lines.back().code != code::welcome)
    return fmt::format("{}: {}", path, lines.back().text);
  c.greeting_ = lines.back().text;
  return c;
}

std::variant<Client::Lines, std::string> Client::request(std::string_view line) {
  if (line.find('\n') != std::string_view::npos)
    return std::string("a request cannot hold a newline");
  std::string out = std::string(line) + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fmt::format("sending to {}: {}", path_, std::strerror(errno));
    sent += size_t(n);
  }
  return read_reply();
}

std::variant<Client::Lines, std::string> Client::read_reply() {
  Lines lines;
  while (true) {
    while (auto l = decoder_.next()) {
      bool final = l->final;
      lines.push_back(std::move(*l));
      if (final)
        return lines;
    }
    if (!decoder_.error().empty())
      return fmt::format("{}: {}", path_, decoder_.error());

    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return fmt::format("{}: no reply in time", path_);
    if (n < 0)
      return fmt::format("reading from {}: {}", path_, std::strerror(errno));
    if (n == 0)
      return fmt::format("{} closed the connection", path_);
    decoder_.feed(std::string_view(buf, size_t(n)));
  }
}

}  // namespace bpfr::control
