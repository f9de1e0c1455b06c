// rtnetlink messages as values: builders return the bytes of one request, parsers take the bytes
// of one message. Neither touches a socket, so tests compare bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "netlink/types.h"

namespace bpfr::netlink {

using Bytes = std::vector<uint8_t>;

// The routing protocol number bpfrouter's routes carry in the kernel: BIRD's own (RTPROT_BIRD),
// so `ip route` and tools written for BIRD show them as BIRD's, and a bpfrouter replacing BIRD
// takes over its routes on start-up.
constexpr uint8_t rtprot_bpfrouter = 12;

enum class RouteOp : uint8_t {
  add,      // NLM_F_CREATE | NLM_F_EXCL: fails with EEXIST if the route is there
  replace,  // NLM_F_CREATE | NLM_F_REPLACE: adds or replaces the route with the same key
  remove,   // RTM_DELROUTE
};

// One request; seq is echoed in the kernel's ACK. Every request asks for an ACK.
Bytes build_route(RouteOp op, const KernelRoute& route, uint32_t seq);

// Asks the kernel to resolve a neighbour it may not know: RTM_NEWNEIGH with NTF_USE and
// NUD_NONE, created if absent. The kernel then sends ARP or a Neighbour Solicitation, and the
// outcome arrives as an RTM_NEWNEIGH event (REACHABLE with the MAC, or FAILED).
Bytes build_neighbour_probe(uint32_t ifindex, const Address& address, uint32_t seq);

// A dump of every object of one type (RTM_GETLINK, RTM_GETADDR, RTM_GETNEIGH, RTM_GETROUTE);
// family AF_UNSPEC for both families.
Bytes build_dump(uint16_t type, uint8_t family, uint32_t seq);

// The parsers take one whole message, header included. They skip attributes they do not know
// and return nullopt only for a message too short or of another type.
std::optional<Link> parse_link(std::span<const uint8_t> msg);
std::optional<InterfaceAddress> parse_address(std::span<const uint8_t> msg);
std::optional<Neighbour> parse_neighbour(std::span<const uint8_t> msg);
std::optional<KernelRoute> parse_route(std::span<const uint8_t> msg);

// NLMSG_ERROR: error 0 is an ACK. message is the kernel's extended ACK text, if it sent one.
struct Ack {
  uint32_t seq = 0;
  int error = 0;  // negative errno as the kernel sends it, 0 for success
  std::string message;
};
std::optional<Ack> parse_ack(std::span<const uint8_t> msg);

// What one received message is, for the socket's dispatch.
enum class Change : uint8_t { added, removed };
struct LinkEvent {
  Change change;
  Link link;
};
struct AddressEvent {
  Change change;
  InterfaceAddress address;
};
struct NeighbourEvent {
  Change change;
  Neighbour neighbour;
};
struct RouteEvent {
  Change change;
  KernelRoute route;
};
struct DumpDone {
  uint32_t seq;
};
using Message = std::variant<std::monostate, LinkEvent, AddressEvent, NeighbourEvent, RouteEvent,
                             Ack, DumpDone>;
Message parse_message(std::span<const uint8_t> msg);

// Splits a datagram into its messages (NLMSG_OK/NLMSG_NEXT), stopping at a truncated one.
std::vector<std::span<const uint8_t>> split_messages(std::span<const uint8_t> datagram);

// A short text for logs: "RTM_NEWROUTE 2001:db8::/48 table 254".
std::string describe_request(std::span<const uint8_t> msg);

}  // namespace bpfr::netlink
