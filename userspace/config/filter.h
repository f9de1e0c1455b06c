// The BIRD filter language: values, the syntax tree the parser builds at configuration time,
// and run(), which evaluates a filter against one route.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/ip.h"
#include "config/filter_route.h"

namespace bpfr::filter {

enum class Type : uint8_t {
  undef,  // no value: an unset attribute, or a function that did not return
  int_,
  bool_,
  ip,
  prefix,
  pair,
  quad,
  lc,
  ec,
  string,
  enum_,  // see EnumKind in Value::sub
  path,   // bgppath
  clist,
  eclist,
  lclist,
  path_mask,
  set,  // int, pair, quad, ip, lc, ec and prefix sets (Set::kind says which)
};

enum class EnumKind : uint8_t { net_type, source, origin, dest };

// NET_IP4 / NET_IP6 as BIRD numbers them.
inline constexpr uint32_t net_ip4 = 1, net_ip6 = 2;

struct Set;
struct PathMask;
struct ListData;

// Attribute lists built while filtering (prepend, add, ...), shared by the values holding them.
struct ListData {
  std::vector<AsPathSegment> path;
  std::vector<uint32_t> clist;
  std::vector<uint64_t> eclist;
  std::vector<LargeCommunity> lclist;
  std::string text;
};

// A filter value, trivially copyable. Scalars live inline; lists and strings point into the
// route being filtered, into the configuration's Storage (constants), or into the evaluator's
// per-thread scratch lists, which live until the next run() starts. Reading an attribute
// copies nothing.
struct Value {
  Type type = Type::undef;
  EnumKind sub = EnumKind::net_type;
  int64_t n = 0;  // int, bool, pair (asn << 16 | value), quad, enum, ec
  Prefix net;     // prefix; ip in net.addr
  LargeCommunity lc;
  const void* ref = nullptr;  // const std::string*, const Set*, const PathMask*, or a list

  static Value make_int(int64_t v) { Value x; x.type = Type::int_; x.n = v; return x; }
  static Value make_bool(bool v) { Value x; x.type = Type::bool_; x.n = v; return x; }
  static Value make_ip(const Address& a) { Value x; x.type = Type::ip; x.net.addr = a; return x; }
  static Value make_prefix(const Prefix& p) { Value x; x.type = Type::prefix; x.net = p; return x; }
  static Value make_pair(uint32_t v) { Value x; x.type = Type::pair; x.n = v; return x; }
  static Value make_enum(EnumKind k, int64_t v) {
    Value x;
    x.type = Type::enum_;
    x.sub = k;
    x.n = v;
    return x;
  }

  const std::vector<AsPathSegment>& path() const {
    return *static_cast<const std::vector<AsPathSegment>*>(ref);
  }
  const std::vector<uint32_t>& clist() const { return *static_cast<const std::vector<uint32_t>*>(ref); }
  const std::vector<uint64_t>& eclist() const { return *static_cast<const std::vector<uint64_t>*>(ref); }
  const std::vector<LargeCommunity>& lclist() const {
    return *static_cast<const std::vector<LargeCommunity>*>(ref);
  }
  const std::string& str() const { return *static_cast<const std::string*>(ref); }
  const Set& set() const { return *static_cast<const Set*>(ref); }
  const PathMask& mask() const { return *static_cast<const PathMask*>(ref); }
};

static_assert(std::is_trivially_copyable_v<Value>);

std::string type_name(Type t);
std::string format_value(const Value& v);  // as BIRD prints it

// `[ ... ]`. Scalar sets hold ranges per component: an int set one, a pair set two
// ((65000, 10..20), (65000, *)), a large-community set three. A prefix set holds patterns
// `P{lo,hi}` (`P+` is {len, max}, `P-` is {0, len}, plain P is {len, len}).
struct Set {
  enum class Kind : uint8_t { int_, pair, quad, ip, lc, ec, prefix };
  struct Range {
    uint64_t lo[3]{}, hi[3]{};
  };
  struct PrefixPattern {
    Prefix prefix;
    uint8_t lo = 0, hi = 0;
  };
  Kind kind = Kind::int_;
  std::vector<Range> ranges;
  std::vector<Address> ips;
  std::vector<PrefixPattern> prefixes;

  bool contains(const Value& v) const;
};

// `[= 65000 * ? 1..10 =]`: a path pattern, matched against the whole AS path.
struct PathMask {
  struct Item {
    enum class Kind : uint8_t { asn, range, any_one, any_many } kind = Kind::asn;
    uint32_t lo = 0, hi = 0;
  };
  std::vector<Item> items;

  bool matches(const std::vector<AsPathSegment>& path) const;
};

// ---- syntax tree ------------------------------------------------------------------------

struct Function;

enum class Attr : uint8_t {
  net, source, proto, dest, gw, from, preference, bgp_origin, bgp_path, bgp_next_hop,
  bgp_med, bgp_local_pref, bgp_community, bgp_ext_community, bgp_large_community,
  krt_prefsrc, krt_metric,
};

// `x.len`, `x.first`, ...
enum class Member : uint8_t {
  len, first, last, last_nonaggregated, type, ip, mask, asn, data, data1, data2, min, max, is_v4,
};

struct Expr {
  enum class Op : uint8_t {
    constant, variable, attribute, call,
    neg, not_, and_, or_, add, sub, mul, div, band, bor,
    eq, ne, lt, le, gt, ge, match, nmatch,
    make_pair, make_lc, make_ec,
    member,     // x.len, x.first, ...: see `name`
    fn_prepend, fn_add, fn_delete, fn_filter, fn_defined, fn_format,
  };
  Op op = Op::constant;
  Value value;                 // constant
  uint32_t slot = 0;           // variable: frame slot; attribute: Attr; member: Member
  std::string name;            // variable, attribute, member or function name, for errors
  const Function* function = nullptr;
  std::vector<std::unique_ptr<Expr>> args;
  int line = 0;
};

struct Stmt {
  enum class Op : uint8_t {
    block, assign_var, assign_attr, unset_attr, if_, accept, reject, return_, print,
    printn, case_, expr,
    path_prepend, list_add, list_delete, list_filter, list_empty,  // attr.method(...)
  };
  Op op = Op::block;
  uint32_t slot = 0;  // variable slot or Attr
  std::vector<std::unique_ptr<Expr>> exprs;
  std::vector<std::unique_ptr<Stmt>> body;  // block; if: [then, else?]
  // case: labels per arm, each arm's body in `body` at the same index; else arm last.
  std::vector<std::vector<std::unique_ptr<Expr>>> case_labels;
  bool case_has_else = false;
  int line = 0;
};

// A function or a filter: arguments first in the frame, then local variables.
struct Function {
  std::string name;
  std::vector<Type> arg_types;
  std::vector<Type> var_types;  // every slot: arguments, then locals
  std::unique_ptr<Stmt> body;
  uint32_t line = 0;
};

// Constants and functions of one configuration, shared by all its filters. Values point into
// it, so it lives as long as any filter does.
struct Storage {
  std::vector<std::unique_ptr<std::string>> strings;
  std::vector<std::unique_ptr<Set>> sets;
  std::vector<std::unique_ptr<PathMask>> masks;
  std::vector<std::unique_ptr<Function>> functions;
  std::vector<std::unique_ptr<ListData>> lists;  // lists and strings built by constants
};

struct Filter {
  std::string name;  // empty for inline filters
  std::string text;  // the source, for reload comparison
  Function main;
  std::shared_ptr<const Storage> storage;
};

// ---- running ----------------------------------------------------------------------------

enum class Verdict : uint8_t { accept, reject };

struct RunOptions {
  std::string* print_output = nullptr;  // `print` appends here; null: logged at info
};

// Runs the filter on the route, which it may change. A filter that ends without a verdict
// rejects, as BIRD does; a runtime error rejects and is logged.
Verdict run(const Filter& filter, FilterRoute& route, const RunOptions& options = {});

// Evaluates an expression that reads no route (a `define`, a set element); lists it builds
// are kept in `storage`. Throws std::runtime_error when it is not constant.
Value evaluate_constant(const Expr& e, Storage& storage);

// Compiles a filter from text: either a body `{ ... }`, `where EXPR`, or a complete file
// fragment whose last `filter NAME { ... }` is returned (functions and defines before it
// are usable). Throws config::ConfigError. For tests and `bpfrouter eval`.
std::shared_ptr<const Filter> compile(std::string_view text);

}  // namespace bpfr::filter
