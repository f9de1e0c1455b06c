// Not a test: loads a full table (1,000,000 IPv4 and 230,000 IPv6 prefixes) from three BGP
// sessions into the RIB and prints memory and time, then moves every next hop at once.
// Usage: rib_scale [IPV4_PREFIXES]
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "rib/rib.h"

using namespace bpfr;
using namespace bpfr::rib;

namespace {

struct Counter : FibListener {
  size_t events = 0;
  void on_fib_update(const Prefix&, const FibEntry&) override { events++; }
  void on_fib_withdraw(const Prefix&) override { events++; }
};

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t n4 = argc > 1 ? uint32_t(std::atoi(argv[1])) : 1000000;
  uint32_t n6 = n4 * 23 / 100;
  Rib rib;
  Counter counter;
  rib.add_listener(&counter);
  rib.add_connected(*Prefix::parse("192.0.2.0/24"), 2);
  rib.add_connected(*Prefix::parse("2001:db8::/64"), 2);
  auto attrs = std::make_shared<const int>(1);  // one shared attribute set, as interned

  size_t heap0 = mallinfo2().uordblks;
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t peer = 0; peer < 3; peer++) {
    ProtoId id = rib.add_protocol(fmt::format("upstream{}", peer + 1), Source::bgp);
    RouteSpec v4;
    v4.gateway = Address::v4(0xc0000201u + peer);
    v4.attrs = attrs;
    for (uint32_t i = 0; i < n4; i++)
      rib.update(Prefix::make(Address::v4(0x20000000u + i * 256u), 24), id, v4);
    RouteSpec v6;
    v6.gateway = *Address::parse("2001:db8::1");
    v6.gateway.bytes[15] = uint8_t(1 + peer);
    v6.attrs = attrs;
    Address a = *Address::parse("2a00::");
    for (uint32_t i = 0; i < n6; i++) {
      a.bytes[2] = uint8_t(i >> 16);
      a.bytes[3] = uint8_t(i >> 8);
      a.bytes[4] = uint8_t(i);
      rib.update(Prefix::make(a, 40), id, v6);
    }
  }
  double load = since(t0);
  size_t heap = mallinfo2().uordblks - heap0;
  std::printf("%zu prefixes, %zu routes: %.1f MB heap (%.0f bytes per route), loaded in %.2f s\n",
              rib.prefix_count(), rib.route_count(), heap / 1e6, double(heap) / rib.route_count(),
              load);

  t0 = std::chrono::steady_clock::now();
  size_t before = counter.events;
  rib.remove_connected(*Prefix::parse("192.0.2.0/24"), 2);
  rib.add_connected(*Prefix::parse("192.0.2.0/24"), 3);
  std::printf("IPv4 next hops moved to another device: %zu FIB updates in %.2f s\n",
              counter.events - before, since(t0));
  return 0;
}
