// `show route` over the daemon's tables: which routes the request's words select, and the reply
// BIRD would give for them (routes, `count`, `all`, "Network not found"), text or JSON.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <variant>

#include "common/ip.h"
#include "control/command.h"
#include "control/model.h"
#include "control/protocol.h"

namespace bpfr::control {

struct RouteQuery {
  std::optional<Address> for_addr;  // `for ADDR`: the longest prefix holding it
  std::optional<Prefix> for_net;    // `for PREFIX`: the longest prefix covering it
  std::optional<Prefix> exact;      // a bare PREFIX: that network only
  std::optional<std::string> table;
  std::optional<std::string> protocol;
  bool count = false;
  bool all = false;
  bool json = false;
};

// A word that is neither address nor prefix is a 9001 reply naming it.
std::variant<RouteQuery, Reply> route_query(const Command& cmd);

// The tables as the daemon holds them; routes of one network adjacent, the primary first.
std::vector<RouteTable> select_routes(std::span<const RouteTable> tables, const RouteQuery& q);

Reply show_route(std::span<const RouteTable> tables, const RouteQuery& q, Time now);

}  // namespace bpfr::control
