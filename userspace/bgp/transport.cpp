#include "bgp/transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>

namespace bpfr::bgp {
namespace {

// Linux names the padding after tcpm_keylen tcpm_ifindex (since 5.6); glibc still calls it pad.
constexpr uint8_t kMd5FlagIfindex = 2;

std::error_code last_error() {
  return {errno, std::system_category()};
}

std::error_code set_int(int fd, int level, int name, int value) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0)
    return last_error();
  return {};
}

sockaddr_storage md5_address(bool v6_socket, const Address& peer) {
  sockaddr_storage ss{};
  if (!v6_socket) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, peer.bytes.data(), 4);
    return ss;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  if (peer.is_v4()) {  // the kernel keys mapped addresses as IPv4
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&sin6->sin6_addr.s6_addr[12], peer.bytes.data(), 4);
  } else {
    std::memcpy(&sin6->sin6_addr, peer.bytes.data(), 16);
  }
  return ss;
}

}  // namespace

TtlPolicy ttl_policy(const PeerConfig& peer) {
  unsigned hops = peer.multihop.value_or(peer.external() ? 1 : 64);
  if (peer.ttl_security)
    return {255, static_cast<int>(256 - std::min(hops, 255u))};
  return {static_cast<int>(std::min(hops, 255u)), 0};
}

Tcp::endpoint make_endpoint(const Address& addr, uint16_t port, uint32_t scope_id) {
  if (addr.is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::copy_n(addr.bytes.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), port};
  }
  asio::ip::address_v6::bytes_type b;
  std::copy_n(addr.bytes.begin(), 16, b.begin());
  return {asio::ip::address_v6(b, scope_id), port};
}

Address address_of(const Tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4())
    return Address::v4(a.to_v4().to_uint());
  auto b = a.to_v6().to_bytes();
  return Address::from_bytes(Family::v6, b);
}

uint32_t scope_of(const Tcp::endpoint& ep) {
  auto a = ep.address();
  return a.is_v6() ? static_cast<uint32_t>(a.to_v6().scope_id()) : 0;
}

std::error_code set_md5_key(int fd, bool v6_socket, const Address& peer, uint32_t ifindex,
                            std::string_view key) {
  tcp_md5sig sig{};
  sig.tcpm_addr = md5_address(v6_socket, peer);
  sig.tcpm_keylen = static_cast<uint16_t>(std::min<size_t>(key.size(), TCP_MD5SIG_MAXKEYLEN));
  std::memcpy(sig.tcpm_key, key.data(), sig.tcpm_keylen);
  int option = TCP_MD5SIG;
  if (ifindex && peer.is_link_local() && !peer.is_v4()) {
    option = TCP_MD5SIG_EXT;
    sig.tcpm_flags = kMd5FlagIfindex;
    sig.__tcpm_pad = ifindex;
  }
  if (setsockopt(fd, IPPROTO_TCP, option, &sig, sizeof sig) < 0)
    return last_error();
  return {};
}

std::error_code set_ttl(int fd, bool v6_socket, int ttl) {
  if (v6_socket) {
    if (auto ec = set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl))
      return ec;
  }
  auto ec = set_int(fd, IPPROTO_IP, IP_TTL, ttl);
  return v6_socket ? std::error_code{} : ec;
}

std::error_code set_min_ttl(int fd, bool v6_socket, int min_ttl) {
  if (v6_socket) {
    if (auto ec = set_int(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, min_ttl))
      return ec;
  }
  auto ec = set_int(fd, IPPROTO_IP, IP_MINTTL, min_ttl);
  return v6_socket ? std::error_code{} : ec;
}

std::error_code Listener::open(const Address& addr, uint16_t port) {
  asio::error_code ec;
  auto ep = make_endpoint(addr, port);
  v6_ = ep.address().is_v6();
  acceptor_.open(ep.protocol(), ec);
  if (ec)
    return ec;
  acceptor_.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (v6_)
    acceptor_.set_option(asio::ip::v6_only(false), ec);
  acceptor_.bind(ep, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    return ec;
  }
  accept_next();
  return {};
}

void Listener::close() {
  asio::error_code ec;
  acceptor_.close(ec);
}

uint16_t Listener::port() const {
  asio::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::error_code Listener::set_md5_key(const Address& peer, uint32_t ifindex, std::string_view key) {
  if (!acceptor_.is_open())
    return std::make_error_code(std::errc::bad_file_descriptor);
  return bgp::set_md5_key(acceptor_.native_handle(), v6_, peer, ifindex, key);
}

std::error_code Listener::set_min_ttl(int min_ttl) {
  if (!acceptor_.is_open())
    return std::make_error_code(std::errc::bad_file_descriptor);
  return bgp::set_min_ttl(acceptor_.native_handle(), v6_, min_ttl);
}

void Listener::accept_next() {
  acceptor_.async_accept([this](const asio::error_code& ec, Tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec)
      spdlog::warn("bgp: accept failed: {}, listener continues", ec.message());
    else
      on_accept_(std::move(socket));
    accept_next();
  });
}

}  // namespace bpfr::bgp
