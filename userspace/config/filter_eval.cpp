// Running a compiled filter against a route. Scalars stay on the stack and list attributes are
// read in place, so a filter that only tests allocates nothing.
#include <endian.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include <spdlog/spdlog.h>

#include "config/filter.h"

namespace bpfr::filter {

namespace {

enum class Flow : uint8_t { next, accept, reject, ret, error };

// Lists built while filtering. Reused from run to run, so in the steady state building a list
// only copies into capacity that is already there.
struct Scratch {
  std::deque<ListData> items;
  size_t used = 0;

  ListData& take() {
    if (used == items.size())
      items.emplace_back();
    ListData& d = items[used++];
    d.path.clear();
    d.clist.clear();
    d.eclist.clear();
    d.lclist.clear();
    d.text.clear();
    return d;
  }
};

struct Context {
  FilterRoute* route = nullptr;  // null while evaluating constants
  Scratch* scratch = nullptr;    // where new lists go during run()
  Storage* storage = nullptr;    // where new lists go for constants
  std::vector<Value>* stack = nullptr;
  size_t base = 0;
  const RunOptions* options = nullptr;
  Flow flow = Flow::next;
  Value result;
  std::string error;
  int error_line = 0;
  int depth = 0;
  int calls = 0;
};

constexpr int max_call_depth = 64;
// Depth alone does not bound the work: a function calling itself twice per level would make
// 2^64 calls. A filter that needs more calls than this for one route is refused.
constexpr int max_calls_per_run = 100000;

const ListData& empty_lists() {
  static const ListData empty;
  return empty;
}

Value fail(Context& c, int line, std::string message) {
  if (c.flow != Flow::error) {
    c.flow = Flow::error;
    c.error = std::move(message);
    c.error_line = line;
  }
  return Value{};
}

Value list_value(Type type, const ListData& data) {
  Value v;
  v.type = type;
  v.ref = type == Type::path     ? static_cast<const void*>(&data.path)
          : type == Type::clist  ? static_cast<const void*>(&data.clist)
          : type == Type::eclist ? static_cast<const void*>(&data.eclist)
          : type == Type::lclist ? static_cast<const void*>(&data.lclist)
                                 : static_cast<const void*>(&data.text);
  return v;
}

ListData& new_list(Context& c) {
  if (c.scratch)
    return c.scratch->take();
  c.storage->lists.push_back(std::make_unique<ListData>());
  return *c.storage->lists.back();
}

template <typename T>
Value list_ref(Type type, const std::vector<T>& list) {
  Value v;
  v.type = type;
  v.ref = &list;
  return v;
}

Value optional_int(const std::optional<uint32_t>& x) {
  return x ? Value::make_int(*x) : Value{};
}

Value optional_ip(const std::optional<Address>& x) {
  return x ? Value::make_ip(*x) : Value{};
}

// A value that may point into the route becomes a copy of its own (for variables, whose
// value must not change when the attribute later does).
Value detach(Context& c, const Value& v) {
  if (v.type != Type::path && v.type != Type::clist && v.type != Type::eclist &&
      v.type != Type::lclist)
    return v;
  ListData& data = new_list(c);
  switch (v.type) {
    case Type::path: data.path = v.path(); break;
    case Type::clist: data.clist = v.clist(); break;
    case Type::eclist: data.eclist = v.eclist(); break;
    default: data.lclist = v.lclist(); break;
  }
  return list_value(v.type, data);
}

Value initial_value(Type t) {
  switch (t) {
    case Type::path:
    case Type::clist:
    case Type::eclist:
    case Type::lclist:
      return list_value(t, empty_lists());
    default:
      return Value{};
  }
}

// ---- attributes -------------------------------------------------------------------------

Value read_attr(Context& c, Attr a, int line) {
  if (!c.route)
    return fail(c, line, "Route attributes are not constant");
  FilterRoute& r = *c.route;
  switch (a) {
    case Attr::net: return Value::make_prefix(r.net);
    case Attr::source: return Value::make_enum(EnumKind::source, int(r.source));
    case Attr::proto: {
      Value v;
      v.type = Type::string;
      v.ref = &r.proto;
      return v;
    }
    case Attr::dest: return Value::make_enum(EnumKind::dest, int(r.dest));
    case Attr::gw: return optional_ip(r.gw);
    case Attr::from: return optional_ip(r.from);
    case Attr::preference: return Value::make_int(r.preference);
    case Attr::bgp_origin:
      return r.origin ? Value::make_enum(EnumKind::origin, int(*r.origin)) : Value{};
    case Attr::bgp_path: return list_ref(Type::path, r.as_path);
    case Attr::bgp_next_hop: return optional_ip(r.next_hop);
    case Attr::bgp_med: return optional_int(r.med);
    case Attr::bgp_local_pref: return optional_int(r.local_pref);
    case Attr::bgp_community: return list_ref(Type::clist, r.communities);
    case Attr::bgp_ext_community: return list_ref(Type::eclist, r.ext_communities);
    case Attr::bgp_large_community: return list_ref(Type::lclist, r.large_communities);
    case Attr::krt_prefsrc: return optional_ip(r.krt_prefsrc);
    case Attr::krt_metric: return optional_int(r.krt_metric);
  }
  return Value{};
}

const char* attr_name(Attr a) {
  static const char* names[] = {"net", "source", "proto", "dest", "gw", "from", "preference",
                                "bgp_origin", "bgp_path", "bgp_next_hop", "bgp_med",
                                "bgp_local_pref", "bgp_community", "bgp_ext_community",
                                "bgp_large_community", "krt_prefsrc", "krt_metric"};
  return names[size_t(a)];
}

void write_attr(Context& c, Attr a, const Value& v, int line) {
  FilterRoute& r = *c.route;
  auto want = [&](Type t) {
    if (v.type == t)
      return true;
    fail(c, line, fmt::format("Attribute {} takes {}, not {}", attr_name(a), type_name(t),
                              type_name(v.type)));
    return false;
  };
  auto want_int = [&](uint32_t& out) {
    if (!want(Type::int_))
      return false;
    out = uint32_t(v.n);
    return true;
  };
  uint32_t n;
  switch (a) {
    case Attr::gw: if (want(Type::ip)) r.gw = v.net.addr; break;
    case Attr::from: if (want(Type::ip)) r.from = v.net.addr; break;
    case Attr::bgp_next_hop: if (want(Type::ip)) r.next_hop = v.net.addr; break;
    case Attr::krt_prefsrc: if (want(Type::ip)) r.krt_prefsrc = v.net.addr; break;
    case Attr::preference:
      if (want_int(n)) {
        if (n > 65535)
          fail(c, line, "Preference must be in range 0-65535");
        else
          r.preference = n;
      }
      break;
    case Attr::bgp_med: if (want_int(n)) r.med = n; break;
    case Attr::bgp_local_pref: if (want_int(n)) r.local_pref = n; break;
    case Attr::krt_metric: if (want_int(n)) r.krt_metric = n; break;
    case Attr::dest:
      if (want(Type::enum_) && v.sub == EnumKind::dest)
        r.dest = RouteDest(v.n);
      else
        fail(c, line, "dest takes an RTD_* value");
      break;
    case Attr::bgp_origin:
      if (v.type == Type::enum_ && v.sub == EnumKind::origin)
        r.origin = Origin(v.n);
      else
        fail(c, line, "bgp_origin takes an ORIGIN_* value");
      break;
    case Attr::bgp_path: if (want(Type::path)) r.as_path = v.path(); break;
    case Attr::bgp_community: if (want(Type::clist)) r.communities = v.clist(); break;
    case Attr::bgp_ext_community: if (want(Type::eclist)) r.ext_communities = v.eclist(); break;
    case Attr::bgp_large_community:
      if (want(Type::lclist))
        r.large_communities = v.lclist();
      break;
    case Attr::net:
    case Attr::source:
    case Attr::proto:
      fail(c, line, fmt::format("Attribute {} is read-only", attr_name(a)));
      break;
  }
}

void unset_attr(FilterRoute& r, Attr a) {
  switch (a) {
    case Attr::gw: r.gw.reset(); break;
    case Attr::from: r.from.reset(); break;
    case Attr::bgp_origin: r.origin.reset(); break;
    case Attr::bgp_path: r.as_path.clear(); break;
    case Attr::bgp_next_hop: r.next_hop.reset(); break;
    case Attr::bgp_med: r.med.reset(); break;
    case Attr::bgp_local_pref: r.local_pref.reset(); break;
    case Attr::bgp_community: r.communities.clear(); break;
    case Attr::bgp_ext_community: r.ext_communities.clear(); break;
    case Attr::bgp_large_community: r.large_communities.clear(); break;
    case Attr::krt_prefsrc: r.krt_prefsrc.reset(); break;
    case Attr::krt_metric: r.krt_metric.reset(); break;
    default: break;
  }
}

// ---- paths ------------------------------------------------------------------------------

unsigned path_length(const std::vector<AsPathSegment>& path) {
  unsigned len = 0;
  for (auto& s : path)
    len += s.type == AsPathSegment::Type::set || s.type == AsPathSegment::Type::confed_set
               ? 1
               : (s.type == AsPathSegment::Type::sequence ? unsigned(s.asns.size()) : 0);
  return len;
}

void path_prepend(std::vector<AsPathSegment>& path, uint32_t asn) {
  if (!path.empty() && path.front().type == AsPathSegment::Type::sequence &&
      path.front().asns.size() < 255) {
    path.front().asns.insert(path.front().asns.begin(), asn);
    return;
  }
  path.insert(path.begin(), AsPathSegment{AsPathSegment::Type::sequence, {asn}});
}

// Keeps (keep=true) or drops the ASNs that `matches` accepts; empty segments go away.
template <typename Pred>
void path_select(std::vector<AsPathSegment>& path, Pred matches, bool keep) {
  for (auto& s : path)
    std::erase_if(s.asns, [&](uint32_t asn) { return matches(asn) != keep; });
  std::erase_if(path, [](const AsPathSegment& s) { return s.asns.empty(); });
}

// ---- helpers on values ------------------------------------------------------------------

// -1, 0, 1; or 2 when the values cannot be compared.
int compare(const Value& a, const Value& b) {
  // As BIRD 2.0: an undefined value (an unset bgp_med) is below every other, not an error, so
  // `bgp_med > 10` is false and `bgp_med < 10` true for a route without MED.
  if (a.type != b.type && (a.type == Type::undef || b.type == Type::undef))
    return a.type == Type::undef ? -1 : 1;
  if (a.type != b.type || (a.type == Type::enum_ && a.sub != b.sub))
    return 2;
  auto cmp = [](auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; };
  switch (a.type) {
    case Type::int_:
    case Type::bool_:
    case Type::pair:
    case Type::quad:
    case Type::enum_:
    case Type::ec:
      return cmp(a.n, b.n);
    case Type::ip:
      return cmp(a.net.addr, b.net.addr);
    case Type::prefix:
      return cmp(a.net, b.net);
    case Type::lc:
      return cmp(a.lc, b.lc);
    case Type::string:
      return cmp(a.str(), b.str());
    case Type::path:
      return a.path() == b.path() ? 0 : 2;
    case Type::clist:
      return a.clist() == b.clist() ? 0 : 2;
    case Type::eclist:
      return a.eclist() == b.eclist() ? 0 : 2;
    case Type::lclist:
      return a.lclist() == b.lclist() ? 0 : 2;
    case Type::set:
    case Type::path_mask:
      return a.ref == b.ref ? 0 : 2;
    case Type::undef:
      return 0;
  }
  return 2;
}

// An element of a list matches a pattern value: equal to it, or inside it if it is a set.
template <typename T>
bool element_matches(const T& element, const Value& pattern, Type element_type) {
  Value e;
  e.type = element_type;
  if constexpr (std::is_same_v<T, LargeCommunity>)
    e.lc = element;
  else
    e.n = int64_t(element);
  if (pattern.type == Type::set)
    return pattern.set().contains(e);
  return compare(e, pattern) == 0;
}

// `~`: membership, subnet, path mask, or shell pattern on strings. -1 on a type error.
int list_match_set(const Value& list, const Value& set);

int match(const Value& a, const Value& b) {
  if (b.type == Type::set) {
    if (a.type == Type::path || a.type == Type::clist || a.type == Type::eclist ||
        a.type == Type::lclist)
      return list_match_set(a, b);
    return b.set().contains(a);
  }
  switch (b.type) {
    case Type::prefix:
      if (a.type == Type::prefix)
        return a.net.family() == b.net.family() && b.net.contains(a.net);
      if (a.type == Type::ip)
        return b.net.contains(a.net.addr);
      return -1;
    case Type::path_mask:
      return a.type == Type::path ? b.mask().matches(a.path()) : -1;
    case Type::path:
      if (a.type != Type::int_)
        return -1;
      for (auto& s : b.path())
        for (auto asn : s.asns)
          if (asn == uint64_t(a.n))
            return 1;
      return 0;
    case Type::clist:
      if (a.type != Type::pair)
        return -1;
      return std::find(b.clist().begin(), b.clist().end(), uint32_t(a.n)) != b.clist().end();
    case Type::eclist:
      if (a.type != Type::ec)
        return -1;
      return std::find(b.eclist().begin(), b.eclist().end(), uint64_t(a.n)) != b.eclist().end();
    case Type::lclist:
      if (a.type != Type::lc)
        return -1;
      return std::find(b.lclist().begin(), b.lclist().end(), a.lc) != b.lclist().end();
    case Type::string:
      if (a.type != Type::string)
        return -1;
      return fnmatch(b.str().c_str(), a.str().c_str(), 0) == 0;
    default:
      return -1;
  }
}

// A list matched against a set: does any element fall into it?
int list_match_set(const Value& list, const Value& set) {
  auto any = [&](auto& elements, Type t) {
    for (auto& e : elements)
      if (element_matches(e, set, t))
        return 1;
    return 0;
  };
  switch (list.type) {
    case Type::clist: return any(list.clist(), Type::pair);
    case Type::eclist: return any(list.eclist(), Type::ec);
    case Type::lclist: return any(list.lclist(), Type::lc);
    case Type::path: {
      for (auto& s : list.path())
        for (auto asn : s.asns)
          if (element_matches(asn, set, Type::int_))
            return 1;
      return 0;
    }
    default: return -1;
  }
}

// add/delete/filter on a list held in `out` (the route's own list, or a copy).
enum class ListOp : uint8_t { add, remove, keep };

template <typename T>
bool apply_list(std::vector<T>& list, const Value& v, Type element_type, Type list_type,
                ListOp op) {
  auto contains = [&](const T& e) {
    if (v.type == list_type) {
      const auto& other = *static_cast<const std::vector<T>*>(v.ref);
      return std::find(other.begin(), other.end(), e) != other.end();
    }
    return element_matches(e, v, element_type);
  };
  if (v.type != element_type && v.type != list_type && !(v.type == Type::set && op != ListOp::add))
    return false;
  if (op == ListOp::add) {
    auto add_one = [&](const T& e) {
      if (std::find(list.begin(), list.end(), e) == list.end())
        list.push_back(e);
    };
    if (v.type == list_type) {
      for (auto& e : *static_cast<const std::vector<T>*>(v.ref))
        add_one(e);
    } else if constexpr (std::is_same_v<T, LargeCommunity>) {
      add_one(v.lc);
    } else {
      add_one(T(v.n));
    }
    return true;
  }
  bool keep = op == ListOp::keep;
  std::erase_if(list, [&](const T& e) { return contains(e) != keep; });
  return true;
}

// ---- evaluation -------------------------------------------------------------------------

Value eval(const Expr& e, Context& c);
void exec(const Stmt& s, Context& c);

Value& var(Context& c, uint32_t slot) { return (*c.stack)[c.base + slot]; }

bool want_bool(Context& c, const Value& v, int line) {
  if (v.type != Type::bool_) {
    if (c.flow != Flow::error)
      fail(c, line, fmt::format("Boolean expected, not {}", type_name(v.type)));
    return false;
  }
  return v.n != 0;
}

Value call(const Expr& e, Context& c) {
  const Function& fn = *e.function;
  if (c.depth >= max_call_depth)
    return fail(c, e.line, "Function calls nest too deep");
  if (++c.calls > max_calls_per_run)
    return fail(c, e.line, fmt::format("More than {} function calls for one route",
                                       max_calls_per_run));

  size_t frame = c.stack->size();
  c.stack->resize(frame + fn.var_types.size());
  for (size_t i = fn.arg_types.size(); i < fn.var_types.size(); i++)
    (*c.stack)[frame + i] = initial_value(fn.var_types[i]);
  for (size_t i = 0; i < e.args.size(); i++) {
    Value v = eval(*e.args[i], c);
    if (c.flow == Flow::error)
      break;
    if (v.type != fn.arg_types[i] && v.type != Type::undef) {
      fail(c, e.line, fmt::format("Argument {} of {} must be {}, not {}", i + 1, fn.name,
                                  type_name(fn.arg_types[i]), type_name(v.type)));
      break;
    }
    (*c.stack)[frame + i] = detach(c, v);
  }

  size_t saved_base = c.base;
  Value result;
  if (c.flow != Flow::error) {
    c.base = frame;
    c.depth++;
    exec(*fn.body, c);
    c.depth--;
    c.base = saved_base;
    if (c.flow == Flow::ret) {
      result = detach(c, c.result);
      c.result = Value{};
      c.flow = Flow::next;
    }
  }
  c.stack->resize(frame);
  return result;
}

Value member(const Expr& e, Context& c) {
  Value v = eval(*e.args[0], c);
  if (c.flow == Flow::error)
    return v;
  Member m = Member(e.slot);
  auto bad = [&]() {
    return fail(c, e.line, fmt::format("'.{}' does not apply to {}", e.name, type_name(v.type)));
  };
  switch (m) {
    case Member::len:
      switch (v.type) {
        case Type::prefix: return Value::make_int(v.net.len);
        case Type::path: return Value::make_int(path_length(v.path()));
        case Type::clist: return Value::make_int(int64_t(v.clist().size()));
        case Type::eclist: return Value::make_int(int64_t(v.eclist().size()));
        case Type::lclist: return Value::make_int(int64_t(v.lclist().size()));
        default: return bad();
      }
    case Member::first: {
      if (v.type != Type::path)
        return bad();
      auto& p = v.path();
      if (p.empty() || p.front().asns.empty() || p.front().type != AsPathSegment::Type::sequence)
        return Value::make_int(0);
      return Value::make_int(p.front().asns.front());
    }
    case Member::last: {
      if (v.type != Type::path)
        return bad();
      auto& p = v.path();
      if (p.empty() || p.back().asns.empty() || p.back().type != AsPathSegment::Type::sequence)
        return Value::make_int(0);
      return Value::make_int(p.back().asns.back());
    }
    case Member::last_nonaggregated: {
      if (v.type != Type::path)
        return bad();
      auto& p = v.path();
      for (auto it = p.rbegin(); it != p.rend(); ++it)
        if (it->type == AsPathSegment::Type::sequence && !it->asns.empty())
          return Value::make_int(it->asns.back());
      return Value::make_int(0);
    }
    case Member::type:
      if (v.type == Type::prefix || v.type == Type::ip)
        return Value::make_enum(EnumKind::net_type, v.net.addr.is_v4() ? net_ip4 : net_ip6);
      return bad();
    case Member::ip:
      if (v.type != Type::prefix)
        return bad();
      return Value::make_ip(v.net.addr);
    case Member::is_v4:
      if (v.type != Type::ip && v.type != Type::prefix)
        return bad();
      return Value::make_bool(v.net.addr.is_v4());
    case Member::mask: {
      Value len = eval(*e.args[1], c);
      if (c.flow == Flow::error)
        return len;
      if (v.type != Type::ip || len.type != Type::int_ || len.n < 0 ||
          len.n > int64_t(v.net.addr.bits()))
        return bad();
      return Value::make_ip(Prefix::make(v.net.addr, unsigned(len.n)).addr);
    }
    case Member::asn:
      if (v.type == Type::pair)
        return Value::make_int(v.n >> 16);
      if (v.type == Type::lc)
        return Value::make_int(v.lc.global);
      return bad();
    case Member::data:
      if (v.type == Type::pair)
        return Value::make_int(v.n & 0xffff);
      return bad();
    case Member::data1:
      return v.type == Type::lc ? Value::make_int(v.lc.local1) : bad();
    case Member::data2:
      return v.type == Type::lc ? Value::make_int(v.lc.local2) : bad();
    case Member::min:
    case Member::max: {
      bool want_min = m == Member::min;
      if (v.type == Type::clist) {
        if (v.clist().empty())
          return Value{};
        auto [lo, hi] = std::minmax_element(v.clist().begin(), v.clist().end());
        return Value::make_pair(want_min ? *lo : *hi);
      }
      if (v.type == Type::lclist) {
        if (v.lclist().empty())
          return Value{};
        auto [lo, hi] = std::minmax_element(v.lclist().begin(), v.lclist().end());
        Value r;
        r.type = Type::lc;
        r.lc = want_min ? *lo : *hi;
        return r;
      }
      return bad();
    }
  }
  return bad();
}

// prepend(), add(), delete(), filter() as functions: they return a changed copy.
Value list_function(const Expr& e, Context& c) {
  Value list = eval(*e.args[0], c);
  Value arg = eval(*e.args[1], c);
  if (c.flow == Flow::error)
    return Value{};
  ListData& data = new_list(c);
  bool ok = true;
  if (e.op == Expr::Op::fn_prepend) {
    if (list.type != Type::path || arg.type != Type::int_)
      return fail(c, e.line, "prepend() takes a bgppath and an int");
    data.path = list.path();
    path_prepend(data.path, uint32_t(arg.n));
    return list_value(Type::path, data);
  }
  ListOp op = e.op == Expr::Op::fn_add      ? ListOp::add
              : e.op == Expr::Op::fn_delete ? ListOp::remove
                                            : ListOp::keep;
  switch (list.type) {
    case Type::path: {
      if (op == ListOp::add || (arg.type != Type::int_ && arg.type != Type::set))
        return fail(c, e.line, fmt::format("{}() on a bgppath takes an int or an int set", e.name));
      data.path = list.path();
      path_select(data.path, [&](uint32_t asn) { return element_matches(asn, arg, Type::int_); },
                  op == ListOp::keep);
      break;
    }
    case Type::clist:
      data.clist = list.clist();
      ok = apply_list(data.clist, arg, Type::pair, Type::clist, op);
      break;
    case Type::eclist:
      data.eclist = list.eclist();
      ok = apply_list(data.eclist, arg, Type::ec, Type::eclist, op);
      break;
    case Type::lclist:
      data.lclist = list.lclist();
      ok = apply_list(data.lclist, arg, Type::lc, Type::lclist, op);
      break;
    default:
      ok = false;
  }
  if (!ok)
    return fail(c, e.line, fmt::format("{}() cannot combine {} and {}", e.name,
                                       type_name(list.type), type_name(arg.type)));
  return list_value(list.type, data);
}

Value arithmetic(const Expr& e, Context& c) {
  Value a = eval(*e.args[0], c);
  Value b = eval(*e.args[1], c);
  if (c.flow == Flow::error)
    return Value{};
  if (a.type != Type::int_ || b.type != Type::int_)
    return fail(c, e.line, fmt::format("Integers expected, not {} and {}", type_name(a.type),
                                       type_name(b.type)));
  switch (e.op) {
    case Expr::Op::add: return Value::make_int(uint32_t(a.n + b.n));
    case Expr::Op::sub: return Value::make_int(uint32_t(a.n - b.n));
    case Expr::Op::mul: return Value::make_int(uint32_t(a.n * b.n));
    case Expr::Op::band: return Value::make_int(a.n & b.n);
    case Expr::Op::bor: return Value::make_int(a.n | b.n);
    default:
      if (b.n == 0)
        return fail(c, e.line, "Division by zero");
      return Value::make_int(a.n / b.n);
  }
}

Value eval(const Expr& e, Context& c) {
  using Op = Expr::Op;
  switch (e.op) {
    case Op::constant:
      return e.value;
    case Op::variable:
      if (!c.stack)
        return fail(c, e.line, "Variables are not constant");
      return var(c, e.slot);
    case Op::attribute:
      return read_attr(c, Attr(e.slot), e.line);
    case Op::call:
      if (!c.stack)
        return fail(c, e.line, "Function calls are not constant");
      return call(e, c);
    case Op::neg: {
      Value v = eval(*e.args[0], c);
      return v.type == Type::int_ ? Value::make_int(-v.n) : fail(c, e.line, "Integer expected");
    }
    case Op::not_: {
      Value v = eval(*e.args[0], c);
      bool b = want_bool(c, v, e.line);
      return c.flow == Flow::error ? Value{} : Value::make_bool(!b);
    }
    case Op::and_:
    case Op::or_: {
      bool a = want_bool(c, eval(*e.args[0], c), e.line);
      if (c.flow == Flow::error)
        return Value{};
      if (a == (e.op == Op::or_))
        return Value::make_bool(a);
      bool b = want_bool(c, eval(*e.args[1], c), e.line);
      return c.flow == Flow::error ? Value{} : Value::make_bool(b);
    }
    case Op::add:
    case Op::sub:
    case Op::mul:
    case Op::div:
    case Op::band:
    case Op::bor:
      return arithmetic(e, c);
    case Op::eq:
    case Op::ne:
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge: {
      Value a = eval(*e.args[0], c);
      Value b = eval(*e.args[1], c);
      if (c.flow == Flow::error)
        return Value{};
      int r = compare(a, b);
      if (r == 2 && (e.op == Op::eq || e.op == Op::ne) && a.type == b.type &&
          a.type != Type::undef)
        r = 1;  // lists: unequal
      if (r == 2)
        return fail(c, e.line, fmt::format("Can't compare values of incompatible types ({} and {})",
                                           type_name(a.type), type_name(b.type)));
      switch (e.op) {
        case Op::eq: return Value::make_bool(r == 0);
        case Op::ne: return Value::make_bool(r != 0);
        case Op::lt: return Value::make_bool(r < 0);
        case Op::le: return Value::make_bool(r <= 0);
        case Op::gt: return Value::make_bool(r > 0);
        default: return Value::make_bool(r >= 0);
      }
    }
    case Op::match:
    case Op::nmatch: {
      Value a = eval(*e.args[0], c);
      Value b = eval(*e.args[1], c);
      if (c.flow == Flow::error)
        return Value{};
      int r = match(a, b);
      if (r < 0 || (b.type == Type::set && a.type == Type::undef))
        return fail(c, e.line, fmt::format("~ applied on unknown type pair ({} and {})",
                                           type_name(a.type), type_name(b.type)));
      return Value::make_bool((r == 1) == (e.op == Op::match));
    }
    case Op::make_pair: {
      Value a = eval(*e.args[0], c);
      Value b = eval(*e.args[1], c);
      if (c.flow == Flow::error)
        return Value{};
      if (a.type != Type::int_ || b.type != Type::int_ || a.n > 0xffff || b.n > 0xffff)
        return fail(c, e.line, "Can't operate with value out of bounds in pair constructor");
      return Value::make_pair(uint32_t(a.n << 16 | b.n));
    }
    case Op::make_lc: {
      Value a = eval(*e.args[0], c);
      Value b = eval(*e.args[1], c);
      Value d = eval(*e.args[2], c);
      if (c.flow == Flow::error)
        return Value{};
      if (a.type != Type::int_ || b.type != Type::int_ || d.type != Type::int_)
        return fail(c, e.line, "Large community components must be integers");
      Value v;
      v.type = Type::lc;
      v.lc = {uint32_t(a.n), uint32_t(b.n), uint32_t(d.n)};
      return v;
    }
    case Op::make_ec: {
      Value a = eval(*e.args[0], c);
      Value b = eval(*e.args[1], c);
      if (c.flow == Flow::error)
        return Value{};
      if (a.type != Type::int_ || b.type != Type::int_)
        return fail(c, e.line, "Extended community components must be integers");
      uint64_t sub = e.value.n ? 0x03 : 0x02;
      Value v;
      v.type = Type::ec;
      if (a.n > 0xffff) {
        if (b.n > 0xffff)
          return fail(c, e.line, "Extended community value out of range");
        v.n = int64_t((uint64_t(0x02) << 56) | (sub << 48) | (uint64_t(a.n) << 16) | uint64_t(b.n));
      } else {
        v.n = int64_t((sub << 48) | (uint64_t(a.n) << 32) | uint64_t(b.n));
      }
      return v;
    }
    case Op::member:
      return member(e, c);
    case Op::fn_prepend:
    case Op::fn_add:
    case Op::fn_delete:
    case Op::fn_filter:
      return list_function(e, c);
    case Op::fn_defined: {
      Value v = eval(*e.args[0], c);
      return c.flow == Flow::error ? Value{} : Value::make_bool(v.type != Type::undef);
    }
    case Op::fn_format: {
      Value v = eval(*e.args[0], c);
      ListData& data = new_list(c);
      data.text = format_value(v);
      return list_value(Type::string, data);
    }
  }
  return fail(c, e.line, "Unsupported expression");
}

// ---- statements -------------------------------------------------------------------------

void in_place(const Stmt& s, Context& c) {
  Value v = eval(*s.exprs[0], c);
  if (c.flow == Flow::error)
    return;
  FilterRoute& r = *c.route;
  Attr a = Attr(s.slot);
  using SOp = Stmt::Op;

  if (a == Attr::bgp_path) {
    if (s.op == SOp::path_prepend) {
      if (v.type != Type::int_)
        fail(c, s.line, "prepend() takes an int");
      else
        path_prepend(r.as_path, uint32_t(v.n));
      return;
    }
    if (v.type != Type::int_ && v.type != Type::set) {
      fail(c, s.line, "bgp_path.delete() and .filter() take an int or an int set");
      return;
    }
    path_select(r.as_path, [&](uint32_t asn) { return element_matches(asn, v, Type::int_); },
                s.op == SOp::list_filter);
    return;
  }

  ListOp op = s.op == SOp::list_add      ? ListOp::add
              : s.op == SOp::list_delete ? ListOp::remove
                                         : ListOp::keep;
  bool ok = false;
  if (a == Attr::bgp_community)
    ok = apply_list(r.communities, v, Type::pair, Type::clist, op);
  else if (a == Attr::bgp_ext_community)
    ok = apply_list(r.ext_communities, v, Type::ec, Type::eclist, op);
  else if (a == Attr::bgp_large_community)
    ok = apply_list(r.large_communities, v, Type::lc, Type::lclist, op);
  if (!ok)
    fail(c, s.line, fmt::format("Cannot apply this to {} with a value of type {}", attr_name(a),
                                type_name(v.type)));
}

std::string print_list(const Stmt& s, Context& c) {
  std::string out;
  for (auto& e : s.exprs) {
    Value v = eval(*e, c);
    if (c.flow == Flow::error)
      return out;
    out += format_value(v);
  }
  return out;
}

void emit(Context& c, const std::string& text) {
  if (c.options && c.options->print_output)
    *c.options->print_output += text;
  else if (!text.empty() && text.back() == '\n')
    spdlog::info("filter: {}", std::string_view(text).substr(0, text.size() - 1));
  else
    spdlog::info("filter: {}", text);
}

void exec(const Stmt& s, Context& c) {
  using SOp = Stmt::Op;
  switch (s.op) {
    case SOp::block:
      for (auto& child : s.body) {
        exec(*child, c);
        if (c.flow != Flow::next)
          return;
      }
      return;
    case SOp::assign_var: {
      Value v = eval(*s.exprs[0], c);
      if (c.flow == Flow::error)
        return;
      var(c, s.slot) = detach(c, v);
      return;
    }
    case SOp::assign_attr: {
      Value v = eval(*s.exprs[0], c);
      if (c.flow != Flow::error)
        write_attr(c, Attr(s.slot), v, s.line);
      return;
    }
    case SOp::unset_attr:
      unset_attr(*c.route, Attr(s.slot));
      return;
    case SOp::if_: {
      bool cond = want_bool(c, eval(*s.exprs[0], c), s.line);
      if (c.flow == Flow::error)
        return;
      if (cond)
        exec(*s.body[0], c);
      else if (s.body.size() > 1)
        exec(*s.body[1], c);
      return;
    }
    case SOp::accept:
    case SOp::reject:
      if (!s.exprs.empty()) {
        std::string text = print_list(s, c);
        if (c.flow == Flow::error)
          return;
        emit(c, text + "\n");
      }
      c.flow = s.op == SOp::accept ? Flow::accept : Flow::reject;
      return;
    case SOp::return_: {
      Value v = eval(*s.exprs[0], c);
      if (c.flow == Flow::error)
        return;
      c.result = v;
      c.flow = Flow::ret;
      return;
    }
    case SOp::print:
    case SOp::printn: {
      std::string text = print_list(s, c);
      if (c.flow != Flow::error)
        emit(c, s.op == SOp::print ? text + "\n" : text);
      return;
    }
    case SOp::case_: {
      Value v = eval(*s.exprs[0], c);
      if (c.flow == Flow::error)
        return;
      for (size_t arm = 0; arm < s.case_labels.size(); arm++) {
        bool hit = s.case_labels[arm].empty();  // the else arm
        for (auto& label : s.case_labels[arm]) {
          const Value& l = label->value;
          hit = l.type == Type::set ? l.set().contains(v) : compare(v, l) == 0;
          if (hit)
            break;
        }
        if (hit) {
          exec(*s.body[arm], c);
          return;
        }
      }
      return;
    }
    case SOp::expr:
      eval(*s.exprs[0], c);
      return;
    case SOp::path_prepend:
    case SOp::list_add:
    case SOp::list_delete:
    case SOp::list_filter:
      in_place(s, c);
      return;
    case SOp::list_empty:
      unset_attr(*c.route, Attr(s.slot));
      return;
  }
}

}  // namespace

// ---- sets and masks ---------------------------------------------------------------------

namespace {

// An address as two host-order 64-bit words, so prefix patterns compare with two masks.
struct Words {
  uint64_t w[2];

  explicit Words(const Address& a) {
    std::memcpy(w, a.bytes.data(), 16);
    w[0] = be64toh(w[0]);
    w[1] = be64toh(w[1]);
  }
};

bool same_leading_bits(const Words& x, const Words& y, unsigned bits) {
  if (bits == 0)
    return true;
  if (bits <= 64)
    return ((x.w[0] ^ y.w[0]) & (~0ull << (64 - bits))) == 0;
  return x.w[0] == y.w[0] && ((x.w[1] ^ y.w[1]) & (~0ull << (128 - bits))) == 0;
}

}  // namespace

bool Set::contains(const Value& v) const {
  switch (kind) {
    case Kind::prefix: {
      if (v.type != Type::prefix && v.type != Type::ip)
        return false;
      // BIRD's rule: the length is in {lo,hi} and the first min(length, pattern length)
      // bits agree.
      const Address& a = v.net.addr;
      unsigned len = v.type == Type::prefix ? v.net.len : a.bits();
      if (prefixes.empty() || prefixes.front().prefix.family() != a.family)
        return false;  // a prefix set holds one family
      Words addr(a);
      for (auto& pat : prefixes)
        if (len >= pat.lo && len <= pat.hi &&
            same_leading_bits(Words(pat.prefix.addr), addr, std::min<unsigned>(len, pat.prefix.len)))
          return true;
      return false;
    }
    case Kind::ip:
      return v.type == Type::ip && std::find(ips.begin(), ips.end(), v.net.addr) != ips.end();
    case Kind::int_:
    case Kind::quad:
      if (v.type != Type::int_ && v.type != Type::enum_ && v.type != Type::quad)
        return false;
      for (auto& r : ranges)
        if (uint64_t(v.n) >= r.lo[0] && uint64_t(v.n) <= r.hi[0])
          return true;
      return false;
    case Kind::pair: {
      if (v.type != Type::pair)
        return false;
      uint64_t asn = uint64_t(v.n) >> 16, data = uint64_t(v.n) & 0xffff;
      for (auto& r : ranges)
        if (asn >= r.lo[0] && asn <= r.hi[0] && data >= r.lo[1] && data <= r.hi[1])
          return true;
      return false;
    }
    case Kind::lc:
      if (v.type != Type::lc)
        return false;
      for (auto& r : ranges)
        if (v.lc.global >= r.lo[0] && v.lc.global <= r.hi[0] && v.lc.local1 >= r.lo[1] &&
            v.lc.local1 <= r.hi[1] && v.lc.local2 >= r.lo[2] && v.lc.local2 <= r.hi[2])
          return true;
      return false;
    case Kind::ec:
      if (v.type != Type::ec)
        return false;
      for (auto& r : ranges)
        if (uint64_t(v.n) >= r.lo[0] && uint64_t(v.n) <= r.hi[0])
          return true;
      return false;
  }
  return false;
}

// Shell-style matching of mask items against path elements; an AS_SET is one element that
// matches when any of its members does.
bool PathMask::matches(const std::vector<AsPathSegment>& path) const {
  struct Element {
    const AsPathSegment* segment;
    size_t index;  // SIZE_MAX: the whole set
  };
  thread_local std::vector<Element> elements;
  elements.clear();
  for (auto& s : path) {
    if (s.type == AsPathSegment::Type::sequence)
      for (size_t i = 0; i < s.asns.size(); i++)
        elements.push_back({&s, i});
    else if (s.type == AsPathSegment::Type::set)
      elements.push_back({&s, SIZE_MAX});
  }

  auto item_matches = [&](const Item& item, const Element& e) {
    if (item.kind == Item::Kind::any_one)
      return true;
    auto in = [&](uint32_t asn) { return asn >= item.lo && asn <= item.hi; };
    if (e.index != SIZE_MAX)
      return in(e.segment->asns[e.index]);
    return std::any_of(e.segment->asns.begin(), e.segment->asns.end(), in);
  };

  size_t i = 0, j = 0, n = elements.size(), m = items.size();
  size_t star = SIZE_MAX, mark = 0;
  while (i < n) {
    if (j < m && items[j].kind != Item::Kind::any_many && item_matches(items[j], elements[i])) {
      i++;
      j++;
    } else if (j < m && items[j].kind == Item::Kind::any_many) {
      star = j++;
      mark = i;
    } else if (star != SIZE_MAX) {
      j = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (j < m && items[j].kind == Item::Kind::any_many)
    j++;
  return j == m;
}

// ---- printing ---------------------------------------------------------------------------

std::string type_name(Type t) {
  switch (t) {
    case Type::undef: return "void";
    case Type::int_: return "int";
    case Type::bool_: return "bool";
    case Type::ip: return "ip";
    case Type::prefix: return "prefix";
    case Type::pair: return "pair";
    case Type::quad: return "quad";
    case Type::lc: return "lc";
    case Type::ec: return "ec";
    case Type::string: return "string";
    case Type::enum_: return "enum";
    case Type::path: return "bgppath";
    case Type::clist: return "clist";
    case Type::eclist: return "eclist";
    case Type::lclist: return "lclist";
    case Type::path_mask: return "bgpmask";
    case Type::set: return "set";
  }
  return "?";
}

namespace {

std::string format_ec(uint64_t ec) {
  unsigned type = unsigned(ec >> 56), sub = unsigned(ec >> 48) & 0xff;
  const char* kind = sub == 0x02 ? "rt" : sub == 0x03 ? "ro" : "unknown";
  if (type == 0x02)
    return fmt::format("({}, {}, {})", kind, uint32_t(ec >> 16), unsigned(ec & 0xffff));
  return fmt::format("({}, {}, {})", kind, unsigned((ec >> 32) & 0xffff), uint32_t(ec));
}

std::string format_enum(const Value& v) {
  static const char* sources[] = {"RTS_DUMMY", "RTS_STATIC", "RTS_INHERIT", "RTS_DEVICE",
                                  "RTS_STATIC_DEVICE", "RTS_REDIRECT", "RTS_RIP", "RTS_OSPF",
                                  "RTS_OSPF_IA", "RTS_OSPF_EXT1", "RTS_OSPF_EXT2", "RTS_BGP",
                                  "RTS_PIPE", "RTS_BABEL"};
  static const char* origins[] = {"ORIGIN_IGP", "ORIGIN_EGP", "ORIGIN_INCOMPLETE"};
  static const char* dests[] = {"RTD_NONE", "RTD_UNICAST", "RTD_BLACKHOLE", "RTD_UNREACHABLE",
                                "RTD_PROHIBIT"};
  size_t n = size_t(v.n);
  switch (v.sub) {
    case EnumKind::net_type: return v.n == net_ip4 ? "NET_IP4" : "NET_IP6";
    case EnumKind::source: return n < std::size(sources) ? sources[n] : std::to_string(n);
    case EnumKind::origin: return n < std::size(origins) ? origins[n] : std::to_string(n);
    case EnumKind::dest: return n < std::size(dests) ? dests[n] : std::to_string(n);
  }
  return std::to_string(n);
}

}  // namespace

std::string format_value(const Value& v) {
  switch (v.type) {
    case Type::undef: return "(void)";
    case Type::int_: return std::to_string(v.n);
    case Type::bool_: return v.n ? "TRUE" : "FALSE";
    case Type::ip: return v.net.addr.str();
    case Type::prefix: return v.net.str();
    case Type::pair: return fmt::format("({},{})", uint64_t(v.n) >> 16, uint64_t(v.n) & 0xffff);
    case Type::quad: return Address::v4(uint32_t(v.n)).str();
    case Type::lc: return fmt::format("({}, {}, {})", v.lc.global, v.lc.local1, v.lc.local2);
    case Type::ec: return format_ec(uint64_t(v.n));
    case Type::string: return v.str();
    case Type::enum_: return format_enum(v);
    case Type::path: {
      std::string out;
      for (auto& s : v.path()) {
        bool set = s.type == AsPathSegment::Type::set;
        if (!out.empty())
          out += ' ';
        if (set)
          out += '{';
        for (size_t i = 0; i < s.asns.size(); i++)
          out += (i ? " " : "") + std::to_string(s.asns[i]);
        if (set)
          out += '}';
      }
      return out;
    }
    case Type::clist: {
      std::string out = "(";
      for (size_t i = 0; i < v.clist().size(); i++)
        out += fmt::format("{}({},{})", i ? " " : "", v.clist()[i] >> 16, v.clist()[i] & 0xffff);
      return out + ")";
    }
    case Type::eclist: {
      std::string out = "(";
      for (size_t i = 0; i < v.eclist().size(); i++)
        out += (i ? " " : "") + format_ec(v.eclist()[i]);
      return out + ")";
    }
    case Type::lclist: {
      std::string out = "(";
      for (size_t i = 0; i < v.lclist().size(); i++) {
        auto& l = v.lclist()[i];
        out += fmt::format("{}({}, {}, {})", i ? " " : "", l.global, l.local1, l.local2);
      }
      return out + ")";
    }
    case Type::path_mask: return "[= ... =]";
    case Type::set: return "[...]";
  }
  return "?";
}

// ---- entry points -----------------------------------------------------------------------

Verdict run(const Filter& filter, FilterRoute& route, const RunOptions& options) {
  thread_local std::vector<Value> stack;
  thread_local Scratch scratch;
  if (stack.capacity() < 256)
    stack.reserve(256);
  // A run inside a run (none today) must not recycle the outer one's lists.
  size_t scratch_mark = scratch.used;

  Context c;
  c.route = &route;
  c.scratch = &scratch;
  c.stack = &stack;
  c.base = stack.size();
  c.options = &options;
  const Function& main = filter.main;
  stack.resize(c.base + main.var_types.size());
  for (size_t i = 0; i < main.var_types.size(); i++)
    stack[c.base + i] = initial_value(main.var_types[i]);

  exec(*main.body, c);
  stack.resize(c.base);
  scratch.used = scratch_mark;

  switch (c.flow) {
    case Flow::accept:
      return Verdict::accept;
    case Flow::error:
      spdlog::warn("filter {}, line {}: {}, route {} rejected",
                   filter.name.empty() ? "<inline>" : filter.name, c.error_line, c.error,
                   route.net);
      if (options.print_output)
        *options.print_output += fmt::format("error: line {}: {}\n", c.error_line, c.error);
      return Verdict::reject;
    case Flow::reject:
      return Verdict::reject;
    default:
      spdlog::debug("filter {} ended without accept or reject, route {} rejected",
                    filter.name.empty() ? "<inline>" : filter.name, route.net);
      return Verdict::reject;
  }
}

Value evaluate_constant(const Expr& e, Storage& storage) {
  Context c;
  c.storage = &storage;
  Value v = eval(e, c);
  if (c.flow == Flow::error)
    throw std::runtime_error(c.error);
  return v;
}

}  // namespace bpfr::filter
