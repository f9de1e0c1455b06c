// Fuzzes the BIRD filter language: the input is compiled as a filter text (a body `{ ... }`,
// `where EXPR`, or functions and defines ending in `filter NAME { ... }`) and run against a few
// routes. Compile errors are expected; crashes, sanitizer reports and hangs are the findings.
//
// The language has no loops, but functions may call themselves: the evaluator stops at a call
// depth of 64, which bounds the stack, not the work (a function calling itself twice per level
// runs 2^depth calls). libFuzzer's -timeout reports such inputs as hangs.
//
// With BPFR_FUZZ_STRICT=1 the harness also checks that running a filter twice on equal routes
// gives the same verdict, route and printed output.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/filter.h"
#include "config/parser.h"
#include "fuzz_util.h"

namespace {

using namespace bpfr;
using namespace bpfr::filter;
using Seg = AsPathSegment;

Address ip(const char* text) { return *Address::parse(text); }
Prefix net(const char* text) { return *Prefix::parse(text); }

// An IPv6 transit route, an IPv4 route with an AS_SET and every list attribute, a static
// route with nothing optional set, and a kernel route with kernel attributes.
std::vector<FilterRoute> sample_routes() {
  std::vector<FilterRoute> routes;

  FilterRoute v6;
  v6.net = net("2001:db8:100::/48");
  v6.proto = "upstream1";
  v6.origin = Origin::igp;
  v6.as_path = {Seg{Seg::Type::sequence, {64515, 3356, 15169}}};
  v6.next_hop = ip("2001:db8:ffff::1");
  v6.from = ip("2001:db8:ffff::1");
  v6.gw = ip("fe80::1");
  v6.communities = {community(3356, 100), community(64515, 1)};
  v6.large_communities = {{64515, 1, 2}};
  routes.push_back(v6);

  FilterRoute v4;
  v4.net = net("198.51.100.0/24");
  v4.proto = "peer4";
  v4.origin = Origin::incomplete;
  v4.as_path = {Seg{Seg::Type::sequence, {4200000000u, 65535, 1}},
                Seg{Seg::Type::set, {10, 20, 4294967295u}},
                Seg{Seg::Type::confed_sequence, {64512}}};
  v4.next_hop = ip("192.0.2.1");
  v4.med = 4294967295u;
  v4.local_pref = 0;
  v4.communities = {community(65535, 65281), community(0, 0)};
  v4.ext_communities = {0x0002fde800000001ull, 0xffffffffffffffffull};
  v4.large_communities = {{4294967295u, 0, 4294967295u}};
  routes.push_back(v4);

  FilterRoute st;
  st.net = net("0.0.0.0/0");
  st.source = RouteSource::static_;
  st.proto = "static4";
  st.dest = RouteDest::blackhole;
  routes.push_back(st);

  FilterRoute krt;
  krt.net = net("::/0");
  krt.source = RouteSource::inherit;
  krt.proto = "kernel6";
  krt.krt_prefsrc = ip("2001:db8::1");
  krt.krt_metric = 1024;
  routes.push_back(krt);
  return routes;
}

void run_on(const Filter& f, const FilterRoute& sample) {
  FilterRoute route = sample;
  std::string printed;
  RunOptions options{&printed};
  Verdict verdict = run(f, route, options);
  if (!fuzz::strict())
    return;

  FilterRoute again = sample;
  std::string printed_again;
  RunOptions options_again{&printed_again};
  if (run(f, again, options_again) != verdict || again != route || printed_again != printed)
    fuzz::fail("a second run on an equal route differs", f.text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (fuzz::mentions_include(text))
    return -1;

  std::shared_ptr<const Filter> f;
  try {
    f = compile(text);
  } catch (const config::ConfigError&) {
    return 0;
  } catch (const std::exception& e) {
    if (fuzz::strict())
      fuzz::fail("compile threw something other than ConfigError", e.what());
    return 0;
  }
  if (!f)
    return 0;
  static const std::vector<FilterRoute> routes = sample_routes();
  for (const FilterRoute& r : routes)
    run_on(*f, r);
  return 0;
}
