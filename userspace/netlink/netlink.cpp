#include "netlink/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace bpfr::netlink {

namespace {

constexpr size_t receive_chunk = 256 * 1024;
constexpr int event_socket_buffer = 32 * 1024 * 1024;  // a full table's churn without ENOBUFS

// Requests sent and not yet answered. The kernel drops ACKs that do not fit the receive
// buffer, so the window keeps them well inside it; the rest wait in the queue.
constexpr size_t max_inflight = 256;

constexpr unsigned event_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                                  RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

// The initial dumps, in the order the state builds on itself.
constexpr uint16_t dump_types[] = {RTM_GETLINK, RTM_GETADDR, RTM_GETNEIGH, RTM_GETROUTE};

void set_option(mnl_socket* sock, int option) {
  int one = 1;
  mnl_socket_setsockopt(sock, option, &one, sizeof one);
}

}  // namespace

Netlink::Netlink(asio::io_context& io, Listener& listener)
    : io_(io), listener_(listener), events_buf_(receive_chunk), requests_buf_(receive_chunk) {}

Netlink::~Netlink() {
  // The descriptors belong to the mnl sockets; release them from asio before closing.
  if (events_fd_)
    events_fd_->release();
  if (requests_fd_)
    requests_fd_->release();
  if (events_)
    mnl_socket_close(events_);
  if (requests_)
    mnl_socket_close(requests_);
}

bool Netlink::open_socket(mnl_socket*& sock, unsigned groups, std::string* error) {
  sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (!sock) {
    *error = fmt::format("netlink socket: {}", std::strerror(errno));
    return false;
  }
  if (mnl_socket_bind(sock, groups, MNL_SOCKET_AUTOPID) < 0) {
    *error = fmt::format("netlink bind: {}", std::strerror(errno));
    return false;
  }
  set_option(sock, NETLINK_EXT_ACK);
  set_option(sock, NETLINK_CAP_ACK);
  return true;
}

bool Netlink::start(std::string* error) {
  if (!open_socket(events_, event_groups, error) || !open_socket(requests_, 0, error))
    return false;

  // SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the kernel's limit applies.
  int fd = mnl_socket_get_fd(events_);
  int size = event_socket_buffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  events_fd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  requests_fd_ =
      std::make_unique<asio::posix::stream_descriptor>(io_, mnl_socket_get_fd(requests_));
  read_events();
  read_requests();
  start_dumps();
  return true;
}

void Netlink::send(Bytes request, Done done) {
  if (request.size() < sizeof(nlmsghdr))
    return;
  auto* nlh = reinterpret_cast<nlmsghdr*>(request.data());
  nlh->nlmsg_seq = seq_++;
  if (seq_ == 0)
    seq_ = 1;
  queue_.push_back({std::move(request), std::move(done)});
  flush_queue();
}

void Netlink::install_route(RouteOp op, const KernelRoute& route, Done done) {
  send(build_route(op, route, 0), std::move(done));
}

void Netlink::resolve_neighbour(uint32_t ifindex, const Address& address, Done done) {
  send(build_neighbour_probe(ifindex, address, 0), std::move(done));
}

// Changes wait while a dump runs, so the dump's answers and the ACKs never interleave.
void Netlink::flush_queue() {
  if (!requests_ || dump_step_ >= 0)
    return;
  while (!queue_.empty() && inflight_.size() < max_inflight) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    auto* nlh = reinterpret_cast<nlmsghdr*>(p.request.data());
    uint32_t seq = nlh->nlmsg_seq;
    if (mnl_socket_sendto(requests_, p.request.data(), p.request.size()) < 0) {
      Ack ack{seq, -errno, std::strerror(errno)};
      spdlog::warn("netlink: {} not sent: {}", describe_request(p.request), ack.message);
      if (p.done)
        p.done(ack);
      continue;
    }
    inflight_.emplace(seq, std::move(p));
  }
}

void Netlink::start_dumps() {
  synced_ = false;
  dump_step_ = -1;
  next_dump();
}

void Netlink::next_dump() {
  dump_step_++;
  if (dump_step_ >= int(std::size(dump_types))) {
    dump_step_ = -1;
    synced_ = true;
    spdlog::debug("netlink: initial dumps complete, following changes");
    listener_.on_synced();
    flush_queue();
    return;
  }
  dump_seq_ = seq_++;
  Bytes req = build_dump(dump_types[dump_step_], AF_UNSPEC, dump_seq_);
  if (mnl_socket_sendto(requests_, req.data(), req.size()) < 0) {
    spdlog::error("netlink: dump request type {} failed: {}, kernel state incomplete",
                  dump_types[dump_step_], std::strerror(errno));
    next_dump();
  }
}

void Netlink::read_events() {
  events_fd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
    if (ec)
      return;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(events_, events_buf_.data(), events_buf_.size());
      if (n < 0) {
        if (errno == ENOBUFS) {
          // Events were lost: the state is rebuilt from fresh dumps.
          spdlog::warn("netlink: event socket overrun (ENOBUFS), dumping the kernel state again");
          if (dump_step_ < 0) {
            listener_.on_resync();
            start_dumps();
          }
          continue;
        }
        if (errno != EAGAIN && errno != EINTR)
          spdlog::error("netlink: event socket read failed: {}", std::strerror(errno));
        break;
      }
      dispatch({events_buf_.data(), size_t(n)}, false);
    }
    read_events();
  });
}

void Netlink::read_requests() {
  requests_fd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
    if (ec)
      return;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(requests_, requests_buf_.data(), requests_buf_.size());
      if (n < 0) {
        if (errno == ENOBUFS) {
          fail_inflight();
          continue;
        }
        if (errno != EAGAIN && errno != EINTR)
          spdlog::error("netlink: request socket read failed: {}", std::strerror(errno));
        break;
      }
      dispatch({requests_buf_.data(), size_t(n)}, true);
    }
    flush_queue();
    read_requests();
  });
}

// Answers were lost (the receive buffer overflowed): the requests waiting for them are reported
// as failed, so no caller waits forever.
void Netlink::fail_inflight() {
  spdlog::warn("netlink: request socket overrun (ENOBUFS), {} requests reported as failed",
               inflight_.size());
  auto lost = std::move(inflight_);
  inflight_.clear();
  for (auto& [seq, p] : lost)
    if (p.done)
      p.done(Ack{seq, -ENOBUFS, "answer lost"});
}

void Netlink::on_ack(const Ack& ack) {
  if (dump_step_ >= 0 && ack.seq == dump_seq_) {
    spdlog::error("netlink: dump type {} refused: {}, kernel state incomplete",
                  dump_types[dump_step_], std::strerror(-ack.error));
    next_dump();
    return;
  }
  auto it = inflight_.find(ack.seq);
  if (it == inflight_.end())
    return;
  Pending p = std::move(it->second);
  inflight_.erase(it);
  // A caller with a callback reports the failure in its own terms; otherwise it is logged here.
  if (ack.error != 0 && !p.done)
    spdlog::warn("netlink: {} refused by the kernel: {}{}{}", describe_request(p.request),
                 std::strerror(-ack.error), ack.message.empty() ? "" : ": ", ack.message);
  if (p.done)
    p.done(ack);
}

void Netlink::dispatch(std::span<const uint8_t> datagram, bool from_requests) {
  for (auto msg : split_messages(datagram)) {
    try {
      Message m = parse_message(msg);
      if (auto* e = std::get_if<LinkEvent>(&m))
        listener_.on_link(e->change, e->link);
      else if (auto* a = std::get_if<AddressEvent>(&m))
        listener_.on_address(a->change, a->address);
      else if (auto* n = std::get_if<NeighbourEvent>(&m))
        listener_.on_neighbour(n->change, n->neighbour);
      else if (auto* r = std::get_if<RouteEvent>(&m))
        listener_.on_route(r->change, r->route);
      else if (auto* ack = std::get_if<Ack>(&m))
        on_ack(*ack);
      else if (auto* done = std::get_if<DumpDone>(&m);
               done && from_requests && dump_step_ >= 0 && done->seq == dump_seq_)
        next_dump();
    } catch (const std::exception& e) {
      spdlog::error("netlink: handling a kernel message failed: {}, message skipped", e.what());
    }
  }
}

}  // namespace bpfr::netlink
