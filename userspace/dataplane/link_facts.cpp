#include "dataplane/link_facts.h"

#include <algorithm>

namespace bpfr::dp {

LinkFacts link_facts(const netlink::Link& link, const config::FastPathInterface* configured) {
  using Kind = config::FastPathInterface::Kind;
  LinkFacts f;
  f.ifindex = link.ifindex;
  f.name = link.name;
  f.up = link.up();
  f.has_mac = link.mac && !link.l3();
  if (link.mac)
    f.mac = *link.mac;
  f.mtu = uint16_t(std::min<uint32_t>(link.mtu, 0xffff));
  f.dummy = link.kind == netlink::LinkKind::dummy;

  if (configured && configured->kind) {
    f.dummy = *configured->kind == Kind::dummy;
    if (*configured->kind == Kind::l3)
      f.has_mac = false;
  }
  return f;
}

}  // namespace bpfr::dp
