#include "bgp/peer.h"

namespace bpfr::bgp {

bool Policy::run(PolicyRoute& route, bool external) const {
  switch (kind_) {
    case Kind::unset:
      return !external;  // RFC 8212
    case Kind::all:
      return true;
    case Kind::none:
      return false;
    case Kind::callback:
      return fn_ && fn_(route);
  }
  return false;
}

}  // namespace bpfr::bgp
