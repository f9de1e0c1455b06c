#include "control/server.h"

#include <fmt/format.h>
#include <grp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace bpfr::control {

using asio::local::stream_protocol;

namespace {
class Session;
}

struct Server::Core {
  asio::io_context& io;
  const Registry& registry;
  ServerOptions options;
  stream_protocol::acceptor acceptor;
  std::list<std::shared_ptr<Session>> sessions;
  bool closed = false;

  Core(asio::io_context& io_, const Registry& r, ServerOptions o)
      : io(io_), registry(r), options(std::move(o)), acceptor(io_) {}
  void accept(std::shared_ptr<Core> self);
  void drop(Session* s);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Server::Core> core, stream_protocol::socket socket)
      : core_(std::move(core)), socket_(std::move(socket)) {}

  void start() {
    send(fmt::format("{:04d} BIRD {} ready.\n", code::welcome, core_->options.version));
    read();
  }

  // Sends a last line and closes once it is written.
  void refuse(std::string line) {
    send(std::move(line));
    closing_ = true;
  }

  void close() {
    std::error_code ec;
    socket_.close(ec);
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(chunk_), [self](std::error_code ec, size_t n) {
      if (self->core_->closed)
        return self->finish();
      if (ec) {
        // The client is done sending (or gone): what it asked for is queued; send it, then close.
        self->closing_ = true;
        if (self->out_.empty())
          self->finish();
        return;
      }
      self->received(std::string_view(self->chunk_.data(), n));
      if (!self->closing_)
        self->read();
    });
  }

  void received(std::string_view bytes) {
    const size_t max_line = core_->options.max_line;
    while (!bytes.empty() && !closing_) {
      size_t nl = bytes.find('\n');
      std::string_view part = bytes.substr(0, nl);
      bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);

      if (!discarding_) {
        line_.append(part.substr(0, max_line + 1 - std::min(line_.size(), max_line + 1)));
        if (line_.size() > max_line) {
          send(Reply::error(code::command_too_long,
                            fmt::format("Command too long: over {} bytes", max_line))
                   .wire());
          discarding_ = true;
          line_.clear();
        }
      }
      if (nl == std::string::npos)
        break;
      if (discarding_) {
        discarding_ = false;
        continue;
      }
      std::string line = std::move(line_);
      line_.clear();
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      Reply reply = core_->registry.dispatch(line, state_);
      send(reply.wire());
    }
  }

  void send(std::string bytes) {
    pending_ += bytes.size();
    if (pending_ > core_->options.max_pending_output) {
      spdlog::warn("control: client reads no replies ({} bytes queued), dropping it", pending_);
      return close();
    }
    out_.push_back(std::move(bytes));
    if (out_.size() == 1)
      write();
  }

  void write() {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_.front()), [self](std::error_code ec, size_t) {
      if (ec)
        return self->finish();
      self->pending_ -= self->out_.front().size();
      self->out_.pop_front();
      if (!self->out_.empty())
        self->write();
      else if (self->closing_)
        self->finish();
    });
  }

  void finish() {
    close();
    if (!core_->closed)
      core_->drop(this);
  }

  std::shared_ptr<Server::Core> core_;
  stream_protocol::socket socket_;
  std::array<char, 4096> chunk_{};
  std::string line_;
  bool discarding_ = false;
  bool closing_ = false;
  std::deque<std::string> out_;
  size_t pending_ = 0;
  ClientState state_;
};

// Another daemon answering on the path makes it unusable; a dead socket file is left over.
bool socket_in_use(asio::io_context& io, const std::string& path) {
  stream_protocol::socket probe(io);
  std::error_code ec;
  probe.connect(stream_protocol::endpoint(path), ec);
  return !ec;
}

void set_owner_and_mode(const ServerOptions& o) {
  if (o.group) {
    struct group gr {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (getgrnam_r(o.group->c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
      throw std::runtime_error(fmt::format("control socket {}: no group '{}'", o.path, *o.group));
    if (chown(o.path.c_str(), uid_t(-1), found->gr_gid) != 0)
      throw std::runtime_error(fmt::format("control socket {}: chown to group {}: {}", o.path,
                                           *o.group, std::strerror(errno)));
  }
  if (chmod(o.path.c_str(), o.mode) != 0)
    throw std::runtime_error(
        fmt::format("control socket {}: chmod {:o}: {}", o.path, o.mode, std::strerror(errno)));
}

}  // namespace

void Server::Core::accept(std::shared_ptr<Core> self) {
  acceptor.async_accept([self](std::error_code ec, stream_protocol::socket socket) {
    if (self->closed)
      return;
    if (ec) {
      spdlog::warn("control: accept on {} failed: {}", self->options.path, ec.message());
    } else {
      auto s = std::make_shared<Session>(self, std::move(socket));
      if (self->sessions.size() >= self->options.max_clients) {
        s->refuse(fmt::format("{:04d} Too many control connections ({}), try again later\n",
                              code::too_many_clients, self->options.max_clients));
      } else {
        self->sessions.push_back(s);
        s->start();
      }
    }
    self->accept(self);
  });
}

void Server::Core::drop(Session* s) {
  sessions.remove_if([s](const auto& p) { return p.get() == s; });
}

Server::Server(asio::io_context& io, const Registry& registry, ServerOptions options)
    : core_(std::make_shared<Core>(io, registry, std::move(options))) {
  const auto& path = core_->options.path;
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty())
    std::filesystem::create_directories(dir, ec);

  if (std::filesystem::exists(path, ec)) {
    if (socket_in_use(io, path))
      throw std::runtime_error(fmt::format("control socket {} is in use by another daemon", path));
    std::filesystem::remove(path, ec);
  }

  auto& acc = core_->acceptor;
  acc.open(stream_protocol(), ec);
  if (!ec)
    acc.bind(stream_protocol::endpoint(path), ec);
  if (!ec)
    acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error(fmt::format("control socket {}: {}", path, ec.message()));
  set_owner_and_mode(core_->options);
  core_->accept(core_);
}

Server::~Server() {
  close();
}

void Server::close() {
  if (core_->closed)
    return;
  core_->closed = true;
  std::error_code ec;
  core_->acceptor.close(ec);
  for (auto& s : core_->sessions)
    s->close();
  core_->sessions.clear();
  std::filesystem::remove(core_->options.path, ec);
}

size_t Server::clients() const {
  return core_->sessions.size();
}

const std::string& Server::path() const {
  return core_->options.path;
}

}  // namespace bpfr::control
