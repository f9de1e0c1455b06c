// TCP for BGP sessions on asio: the listener that takes only configured neighbours, and the
// socket options of RFC 2385 (TCP-MD5), RFC 5082 (GTSM) and multihop TTLs.
#pragma once

#include <asio.hpp>
#include <functional>
#include <string>
#include <system_error>

#include "bgp/peer.h"
#include "common/ip.h"

namespace bpfr::bgp {

using Tcp = asio::ip::tcp;

// What TTLs a session sends and requires (RFC 5082 3: send 255, accept 255 - hops + 1 up).
struct TtlPolicy {
  int send_ttl = 1;
  int min_ttl = 0;  // 0: not checked
};
TtlPolicy ttl_policy(const PeerConfig& peer);

Tcp::endpoint make_endpoint(const Address& addr, uint16_t port, uint32_t scope_id = 0);
Address address_of(const Tcp::endpoint& ep);  // IPv4-mapped IPv6 comes back as IPv4
uint32_t scope_of(const Tcp::endpoint& ep);

// Each sets one option on a socket of family `socket_family`; for an IPv6 socket talking to
// IPv4 (mapped) peers the IPv4 options are set too. Errors come back, nothing throws.
std::error_code set_md5_key(int fd, bool v6_socket, const Address& peer, uint32_t ifindex,
                            std::string_view key);
std::error_code set_ttl(int fd, bool v6_socket, int ttl);
std::error_code set_min_ttl(int fd, bool v6_socket, int min_ttl);

// Accepts BGP connections and hands each to `on_accept`, which decides (by address) whether a
// session takes it; a refused socket is closed before any byte of it is read.
class Listener {
 public:
  using AcceptFn = std::function<void(Tcp::socket)>;

  Listener(asio::io_context& io, AcceptFn on_accept) : io_(io), on_accept_(std::move(on_accept)) {}
  // Binds [addr]:port; an unspecified IPv6 address listens for IPv4 too.
  std::error_code open(const Address& addr, uint16_t port);
  void close();
  // Keys must be on the listening socket before the peer's SYN arrives (RFC 2385).
  std::error_code set_md5_key(const Address& peer, uint32_t ifindex, std::string_view key);
  // GTSM on the listener itself drops too-far SYNs for every neighbour, so it can only be the
  // smallest minimum TTL over all of them (0 when one has no GTSM).
  std::error_code set_min_ttl(int min_ttl);
  uint16_t port() const;

 private:
  void accept_next();

  asio::io_context& io_;
  AcceptFn on_accept_;
  Tcp::acceptor acceptor_{io_};
  bool v6_ = true;
};

}  // namespace bpfr::bgp
