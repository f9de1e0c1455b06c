// The daemon's rtnetlink connection on its io_context: dumps links, addresses, neighbours and
// routes, follows their changes, and sends route and neighbour requests.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "netlink/message.h"

struct mnl_socket;

namespace bpfr::netlink {

// Receives the kernel's state: first everything the dumps find (as `added`), then each change.
// Called on the io_context's thread. Defaults do nothing, so a listener overrides what it needs.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual void on_link(Change, const Link&) {}
  virtual void on_address(Change, const InterfaceAddress&) {}
  virtual void on_neighbour(Change, const Neighbour&) {}
  virtual void on_route(Change, const KernelRoute&) {}
  // Events were lost: everything is dumped again, reported as `added`, then on_synced() comes.
  // Objects that vanished meanwhile get no `removed`: a listener that must notice them marks
  // its state here and drops what the dumps did not report again.
  virtual void on_resync() {}
  // The initial dumps are complete (also after a resynchronisation following lost events).
  virtual void on_synced() {}
};

// Outcome of a request: error 0 on success, else a negative errno with the kernel's text.
using Done = std::function<void(const Ack&)>;

class Netlink {
 public:
  Netlink(asio::io_context& io, Listener& listener);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // Opens both sockets, subscribes to the groups and starts the dumps. Start-up only: returns
  // false with a reason on failure.
  bool start(std::string* error);

  // Queue a request; done (optional) is called with the kernel's ACK. Failed requests are also
  // logged with the request they answer.
  void send(Bytes request, Done done = {});
  void install_route(RouteOp op, const KernelRoute& route, Done done = {});
  void resolve_neighbour(uint32_t ifindex, const Address& address, Done done = {});

  bool synced() const { return synced_; }
  // Requests the kernel has not answered yet, queued or in flight.
  size_t backlog() const { return queue_.size() + inflight_.size(); }

 private:
  struct Pending {
    Bytes request;
    Done done;
  };

  bool open_socket(mnl_socket*& sock, unsigned groups, std::string* error);
  void read_events();
  void read_requests();
  void dispatch(std::span<const uint8_t> datagram, bool from_requests);
  void start_dumps();
  void next_dump();
  void flush_queue();
  void on_ack(const Ack& ack);
  void fail_inflight();

  asio::io_context& io_;
  Listener& listener_;
  mnl_socket* events_ = nullptr;    // subscribed to the multicast groups
  mnl_socket* requests_ = nullptr;  // dumps and changes, answered in order
  std::unique_ptr<asio::posix::stream_descriptor> events_fd_;
  std::unique_ptr<asio::posix::stream_descriptor> requests_fd_;
  std::vector<uint8_t> events_buf_;
  std::vector<uint8_t> requests_buf_;
  uint32_t seq_ = 1;
  int dump_step_ = -1;  // index into the dump sequence, -1 when none runs
  uint32_t dump_seq_ = 0;
  bool synced_ = false;
  std::deque<Pending> queue_;             // waiting while a dump runs
  std::map<uint32_t, Pending> inflight_;  // sent, by seq, waiting for the ACK
};

}  // namespace bpfr::netlink
