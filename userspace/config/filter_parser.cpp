// The filter language: named filters, functions, statements and expressions.
#include <algorithm>

#include "config/parser_impl.h"

namespace bpfr::config {

using filter::Attr;
using filter::EnumKind;
using filter::Expr;
using filter::Member;
using filter::Stmt;
using filter::Type;
using filter::Value;
using Op = filter::Expr::Op;
using SOp = filter::Stmt::Op;

namespace {

struct NamedAttr {
  std::string_view name;
  Attr attr;
};

constexpr NamedAttr attributes[] = {
    {"net", Attr::net},
    {"source", Attr::source},
    {"proto", Attr::proto},
    {"dest", Attr::dest},
    {"gw", Attr::gw},
    {"from", Attr::from},
    {"preference", Attr::preference},
    {"bgp_origin", Attr::bgp_origin},
    {"bgp_path", Attr::bgp_path},
    {"bgp_next_hop", Attr::bgp_next_hop},
    {"bgp_med", Attr::bgp_med},
    {"bgp_local_pref", Attr::bgp_local_pref},
    {"bgp_community", Attr::bgp_community},
    {"bgp_ext_community", Attr::bgp_ext_community},
    {"bgp_large_community", Attr::bgp_large_community},
    {"krt_prefsrc", Attr::krt_prefsrc},
    {"krt_metric", Attr::krt_metric},
};

// Attributes BIRD knows that bpfrouter's routes do not carry.
constexpr std::string_view unsupported_attributes[] = {
    "scope", "ifname", "ifindex", "igp_metric", "onlink", "weight", "gw_mpls",
    "bgp_atomic_aggr", "bgp_aggregator", "bgp_originator_id", "bgp_cluster_list",
    "bgp_otc", "bgp_aigp", "bgp_mp_reach_nlri", "bgp_mp_unreach_nlri", "bgp_as4_path",
    "bgp_as4_aggregator", "krt_source", "krt_realm", "krt_scope", "krt_mtu", "krt_window",
    "krt_rtt", "krt_rttvar", "krt_sstresh", "krt_cwnd", "krt_advmss", "krt_reordering",
    "krt_hoplimit", "krt_initcwnd", "krt_rto_min", "krt_initrwnd", "krt_quickack",
    "krt_lock_mtu", "krt_feature_ecn", "krt_feature_allfrag", "ospf_metric1", "ospf_metric2",
    "ospf_tag", "ospf_router_id", "rip_metric", "rip_tag", "babel_metric", "radv_preference",
    "radv_lifetime", "roa_check", "aspa_check", "mpls_label", "mpls_policy", "mpls_class",
    "rpki", "bfd",
};

struct NamedConstant {
  std::string_view name;
  EnumKind kind;
  int value;
};

constexpr NamedConstant constants[] = {
    {"NET_IP4", EnumKind::net_type, int(filter::net_ip4)},
    {"NET_IP6", EnumKind::net_type, int(filter::net_ip6)},
    {"RTS_DUMMY", EnumKind::source, 0},
    {"RTS_STATIC", EnumKind::source, 1},
    {"RTS_INHERIT", EnumKind::source, 2},
    {"RTS_DEVICE", EnumKind::source, 3},
    {"RTS_STATIC_DEVICE", EnumKind::source, 4},
    {"RTS_REDIRECT", EnumKind::source, 5},
    {"RTS_RIP", EnumKind::source, 6},
    {"RTS_OSPF", EnumKind::source, 7},
    {"RTS_OSPF_IA", EnumKind::source, 8},
    {"RTS_OSPF_EXT1", EnumKind::source, 9},
    {"RTS_OSPF_EXT2", EnumKind::source, 10},
    {"RTS_BGP", EnumKind::source, 11},
    {"RTS_PIPE", EnumKind::source, 12},
    {"RTS_BABEL", EnumKind::source, 13},
    {"ORIGIN_IGP", EnumKind::origin, 0},
    {"ORIGIN_EGP", EnumKind::origin, 1},
    {"ORIGIN_INCOMPLETE", EnumKind::origin, 2},
    {"RTD_UNICAST", EnumKind::dest, 1},
    {"RTD_BLACKHOLE", EnumKind::dest, 2},
    {"RTD_UNREACHABLE", EnumKind::dest, 3},
    {"RTD_PROHIBIT", EnumKind::dest, 4},
};

struct NamedMember {
  std::string_view name;
  Member member;
};

constexpr NamedMember members[] = {
    {"len", Member::len},       {"first", Member::first}, {"last", Member::last},
    {"last_nonaggregated", Member::last_nonaggregated},   {"type", Member::type},
    {"ip", Member::ip},         {"mask", Member::mask},   {"asn", Member::asn},
    {"data", Member::data},     {"data1", Member::data1}, {"data2", Member::data2},
    {"min", Member::min},       {"max", Member::max},     {"is_v4", Member::is_v4},
};

const NamedAttr* find_attribute(std::string_view name) {
  for (auto& a : attributes)
    if (a.name == name)
      return &a;
  return nullptr;
}

const NamedConstant* find_constant(std::string_view name) {
  for (auto& c : constants)
    if (c.name == name)
      return &c;
  return nullptr;
}

bool is_unsupported_attribute(std::string_view name) {
  return std::find(std::begin(unsupported_attributes), std::end(unsupported_attributes), name) !=
         std::end(unsupported_attributes);
}

std::unique_ptr<Expr> make(Op op, int line) {
  auto e = std::make_unique<Expr>();
  e->op = op;
  e->line = line;
  return e;
}

std::unique_ptr<Expr> make2(Op op, std::unique_ptr<Expr> a, std::unique_ptr<Expr> b) {
  auto e = make(op, a->line);
  e->args.push_back(std::move(a));
  e->args.push_back(std::move(b));
  return e;
}

// Extended community types (RFC 4360): two-octet AS specific, four-octet AS specific.
uint64_t make_ec(bool route_origin, uint32_t asn, uint32_t value) {
  uint64_t sub = route_origin ? 0x03 : 0x02;
  if (asn > 0xffff)
    return (uint64_t(0x02) << 56) | (sub << 48) | (uint64_t(asn) << 16) | (value & 0xffff);
  return (uint64_t(0x00) << 56) | (sub << 48) | (uint64_t(asn) << 32) | value;
}

}  // namespace

// ---- definitions ------------------------------------------------------------------------

void Parser::parse_filter_definition() {
  Token name = next();
  if (name.kind != Token::Kind::word)
    syntax_error(name);
  if (filters_.count(name.text) || defines_.count(name.text) || functions_.count(name.text))
    fail(name, fmt::format("Symbol '{}' already defined", name.text));
  auto f = parse_filter_body(name.text);
  filters_[name.text] = f;
  last_filter_ = f;
}

void Parser::parse_function_definition() {
  Token name = next();
  if (name.kind != Token::Kind::word)
    syntax_error(name);
  if (filters_.count(name.text) || defines_.count(name.text) || functions_.count(name.text))
    fail(name, fmt::format("Symbol '{}' already defined", name.text));

  auto fn = std::make_unique<filter::Function>();
  fn->name = name.text;
  fn->line = name.where.line;
  Scope scope{fn.get(), {}};
  Scope* saved = scope_;
  scope_ = &scope;

  expect("(");
  if (!accept(")")) {
    do {
      Type type;
      if (!parse_type(type))
        syntax_error(peek());
      Token arg = next();
      if (arg.kind != Token::Kind::word)
        syntax_error(arg);
      if (find_variable(arg.text) >= 0)
        fail(arg, fmt::format("Symbol '{}' already defined", arg.text));
      scope.names.emplace_back(arg.text, uint32_t(fn->var_types.size()));
      fn->var_types.push_back(type);
      fn->arg_types.push_back(type);
    } while (accept(";"));
    expect(")");
  }
  if (peek().is("->"))
    syntax_error(peek());  // return types are newer than BIRD 2.0

  // Recursion: the name is known inside its own body.
  functions_[name.text] = fn.get();
  parse_declarations(*fn);
  fn->body = parse_block();
  scope_ = saved;
  storage_->functions.push_back(std::move(fn));
}

// `TYPE name;` declarations between a filter's or function's header and its body.
void Parser::parse_declarations(filter::Function& f) {
  Type type;
  while (parse_type(type)) {
    Token name = next();
    if (name.kind != Token::Kind::word)
      syntax_error(name);
    if (find_variable(name.text) >= 0)
      fail(name, fmt::format("Symbol '{}' already defined", name.text));
    scope_->names.emplace_back(name.text, uint32_t(f.var_types.size()));
    f.var_types.push_back(type);
    end_statement();
  }
}

std::shared_ptr<filter::Filter> Parser::parse_filter_body(const std::string& name) {
  auto f = std::make_shared<filter::Filter>();
  f->name = name;
  f->main.name = name;
  f->main.line = peek().where.line;
  f->storage = storage_;
  Scope scope{&f->main, {}};
  Scope* saved = scope_;
  scope_ = &scope;

  lex_.record(&f->text);
  parse_declarations(f->main);
  f->main.body = parse_block();
  lex_.record(nullptr);
  scope_ = saved;
  return f;
}

// `where EXPR`: accept when EXPR holds, else reject.
std::shared_ptr<filter::Filter> Parser::parse_where_filter() {
  auto f = std::make_shared<filter::Filter>();
  f->storage = storage_;
  f->main.line = peek().where.line;
  Scope scope{&f->main, {}};
  Scope* saved = scope_;
  scope_ = &scope;
  lex_.record(&f->text);
  auto cond = parse_expr();
  lex_.record(nullptr);
  scope_ = saved;

  auto stmt = std::make_unique<Stmt>();
  stmt->op = SOp::if_;
  stmt->line = cond->line;
  stmt->exprs.push_back(std::move(cond));
  auto yes = std::make_unique<Stmt>();
  yes->op = SOp::accept;
  auto no = std::make_unique<Stmt>();
  no->op = SOp::reject;
  stmt->body.push_back(std::move(yes));
  stmt->body.push_back(std::move(no));
  f->main.body = std::move(stmt);
  f->text = "where " + f->text;
  return f;
}

bool Parser::parse_type(Type& type) {
  const Token& t = peek();
  if (t.kind != Token::Kind::word)
    return false;
  static const std::pair<std::string_view, Type> types[] = {
      {"int", Type::int_},     {"bool", Type::bool_},     {"ip", Type::ip},
      {"prefix", Type::prefix}, {"pair", Type::pair},     {"quad", Type::quad},
      {"ec", Type::ec},        {"lc", Type::lc},          {"string", Type::string},
      {"bgppath", Type::path}, {"clist", Type::clist},    {"eclist", Type::eclist},
      {"lclist", Type::lclist}, {"bgpmask", Type::path_mask},
  };
  for (auto& [word, ty] : types) {
    if (t.text != word)
      continue;
    // A type word followed by a name; `int set` and friends are sets.
    next();
    type = ty;
    if (accept("set"))
      type = Type::set;
    return true;
  }
  if (t.is("enum"))
    unsupported(t, "Enum variables");
  return false;
}

int Parser::find_variable(const std::string& name) const {
  if (!scope_)
    return -1;
  for (auto& [n, slot] : scope_->names)
    if (n == name)
      return int(slot);
  return -1;
}

// ---- statements -------------------------------------------------------------------------

std::unique_ptr<Stmt> Parser::parse_block() {
  Nesting guard(*this);
  Token open = expect("{");
  auto block = std::make_unique<Stmt>();
  block->op = SOp::block;
  block->line = open.where.line;
  while (!accept("}")) {
    if (peek().kind == Token::Kind::end)
      syntax_error(peek());
    block->body.push_back(parse_statement());
  }
  return block;
}

std::unique_ptr<Stmt> Parser::parse_command_or_block() {
  if (peek().is("{"))
    return parse_block();
  return parse_statement();
}

std::unique_ptr<Stmt> Parser::parse_statement() {
  Nesting guard(*this);
  Token t = peek();
  auto s = std::make_unique<Stmt>();
  s->line = t.where.line;

  if (t.is("{"))
    return parse_block();
  if (t.kind != Token::Kind::word)
    syntax_error(t);

  // Declarations inside a body: `int x;` or `int x = 5;`
  Type type;
  if (scope_ && parse_type(type)) {
    Token name = next();
    if (name.kind != Token::Kind::word)
      syntax_error(name);
    if (find_variable(name.text) >= 0)
      fail(name, fmt::format("Symbol '{}' already defined", name.text));
    uint32_t slot = uint32_t(scope_->function->var_types.size());
    scope_->names.emplace_back(name.text, slot);
    scope_->function->var_types.push_back(type);
    if (accept("=")) {
      s->op = SOp::assign_var;
      s->slot = slot;
      s->exprs.push_back(parse_expr());
    } else {
      s->op = SOp::block;  // nothing to do
    }
    end_statement();
    return s;
  }

  next();
  if (t.is("if")) {
    s->op = SOp::if_;
    s->exprs.push_back(parse_expr());
    expect("then");
    s->body.push_back(parse_command_or_block());
    if (accept("else"))
      s->body.push_back(parse_command_or_block());
    return s;
  }
  if (t.is("accept") || t.is("reject")) {
    s->op = t.is("accept") ? SOp::accept : SOp::reject;
    if (!peek().is(";")) {
      do
        s->exprs.push_back(parse_expr());
      while (accept(","));
    }
    end_statement();
    return s;
  }
  if (t.is("return")) {
    s->op = SOp::return_;
    s->exprs.push_back(parse_expr());
    end_statement();
    return s;
  }
  if (t.is("print") || t.is("printn")) {
    s->op = t.is("print") ? SOp::print : SOp::printn;
    do
      s->exprs.push_back(parse_expr());
    while (accept(","));
    end_statement();
    return s;
  }
  if (t.is("unset")) {
    expect("(");
    Token a = next();
    auto attr = find_attribute(a.text);
    if (!attr) {
      if (is_unsupported_attribute(a.text))
        unsupported(a, fmt::format("Attribute {}", a.text));
      syntax_error(a);
    }
    expect(")");
    end_statement();
    s->op = SOp::unset_attr;
    s->slot = uint32_t(attr->attr);
    return s;
  }
  if (t.is("case")) {
    s->op = SOp::case_;
    s->exprs.push_back(parse_expr());
    expect("{");
    auto is_label_start = [&]() {
      const Token& l = peek();
      if (l.kind == Token::Kind::number || l.kind == Token::Kind::ip4 ||
          l.kind == Token::Kind::ip6 || l.kind == Token::Kind::string || l.is("("))
        return true;
      return l.kind == Token::Kind::word &&
             (find_constant(l.text) || defines_.count(l.text) || l.text == "true" ||
              l.text == "false");
    };
    while (!accept("}")) {
      std::vector<std::unique_ptr<Expr>> labels;
      bool is_else = false;
      if (accept("else")) {
        is_else = true;
      } else {
        if (!is_label_start())
          syntax_error(peek());
        do {
          Token at = peek();
          Value lo = evaluate_constant(parse_sum(), at);
          if (accept("..")) {
            Token at2 = peek();
            Value hi = evaluate_constant(parse_sum(), at2);
            if (lo.type != Type::int_ || hi.type != Type::int_)
              fail(at, "Range of a case label must be of integers");
            auto set = std::make_unique<filter::Set>();
            filter::Set::Range r;
            r.lo[0] = uint64_t(lo.n);
            r.hi[0] = uint64_t(hi.n);
            set->ranges.push_back(r);
            Value v;
            v.type = Type::set;
            v.ref = set.get();
            storage_->sets.push_back(std::move(set));
            lo = v;
          }
          labels.push_back(make_const(lo, at.where.line));
        } while (accept(","));
      }
      expect(":");
      if (is_else && s->case_has_else)
        syntax_error(peek());
      auto body = std::make_unique<Stmt>();
      body->op = SOp::block;
      while (!peek().is("}") && !peek().is("else") && !is_label_start())
        body->body.push_back(parse_statement());
      if (is_else) {
        s->case_has_else = true;
        s->case_labels.emplace_back();
      } else {
        if (s->case_has_else)
          syntax_error(peek());
        s->case_labels.push_back(std::move(labels));
      }
      s->body.push_back(std::move(body));
    }
    accept(";");
    return s;
  }

  // NAME = expr;  NAME.method(args);  function(args);
  int var = find_variable(t.text);
  auto attr = find_attribute(t.text);
  if (var < 0 && !attr && is_unsupported_attribute(t.text))
    unsupported(t, fmt::format("Attribute {}", t.text));

  if (peek().is("=")) {
    next();
    if (var >= 0) {
      s->op = SOp::assign_var;
      s->slot = uint32_t(var);
    } else if (attr) {
      if (attr->attr == Attr::net || attr->attr == Attr::proto || attr->attr == Attr::source)
        fail(t, "Attribute is read-only");
      s->op = SOp::assign_attr;
      s->slot = uint32_t(attr->attr);
    } else {
      syntax_error(t);
    }
    s->exprs.push_back(parse_expr());
    end_statement();
    return s;
  }
  if (peek().is(".") && (var >= 0 || attr)) {
    next();
    Token method = next();
    static const std::pair<std::string_view, Op> methods[] = {
        {"prepend", Op::fn_prepend}, {"add", Op::fn_add}, {"delete", Op::fn_delete},
        {"filter", Op::fn_filter}};
    auto it = std::find_if(std::begin(methods), std::end(methods),
                           [&](auto& m) { return method.is(m.first); });
    if (method.is("empty")) {
      end_statement();
      s->op = SOp::list_empty;
      if (!attr || var >= 0)
        fail(method, "'empty' works on attributes only");
      s->slot = uint32_t(attr->attr);
      return s;
    }
    if (it == std::end(methods))
      syntax_error(method);
    expect("(");
    auto arg = parse_expr();
    expect(")");
    end_statement();

    if (var >= 0) {
      // x.add(v) on a variable: x = add(x, v)
      auto target = make(Op::variable, t.where.line);
      target->slot = uint32_t(var);
      target->name = t.text;
      s->op = SOp::assign_var;
      s->slot = uint32_t(var);
      s->exprs.push_back(make2(it->second, std::move(target), std::move(arg)));
      return s;
    }
    switch (it->second) {
      case Op::fn_prepend: s->op = SOp::path_prepend; break;
      case Op::fn_add: s->op = SOp::list_add; break;
      case Op::fn_delete: s->op = SOp::list_delete; break;
      default: s->op = SOp::list_filter; break;
    }
    if (s->op == SOp::path_prepend && attr->attr != Attr::bgp_path)
      fail(method, "'prepend' works on bgp_path only");
    if (s->op == SOp::list_add && attr->attr == Attr::bgp_path)
      fail(method, "Use 'prepend' on bgp_path");
    if (attr->attr != Attr::bgp_path && attr->attr != Attr::bgp_community &&
        attr->attr != Attr::bgp_ext_community && attr->attr != Attr::bgp_large_community)
      fail(method, "Method works on list attributes only");
    s->slot = uint32_t(attr->attr);
    s->exprs.push_back(std::move(arg));
    return s;
  }
  if (peek().is("(") && functions_.count(t.text)) {
    auto call = parse_word_expr(t);
    s->op = SOp::expr;
    s->exprs.push_back(std::move(call));
    end_statement();
    return s;
  }
  syntax_error(t);
}

// ---- expressions ------------------------------------------------------------------------

std::unique_ptr<Expr> Parser::make_const(Value v, int line) {
  auto e = make(Op::constant, line);
  e->value = v;
  return e;
}

// Lowest precedence: && and ||, left to right, as in BIRD.
std::unique_ptr<Expr> Parser::parse_expr() {
  auto left = parse_compare();
  for (;;) {
    if (accept("&&"))
      left = make2(Op::and_, std::move(left), parse_compare());
    else if (accept("||"))
      left = make2(Op::or_, std::move(left), parse_compare());
    else
      return left;
  }
}

std::unique_ptr<Expr> Parser::parse_compare() {
  auto left = parse_sum();
  static const std::pair<std::string_view, Op> ops[] = {
      {"=", Op::eq}, {"!=", Op::ne}, {"<", Op::lt}, {"<=", Op::le}, {">", Op::gt},
      {">=", Op::ge}, {"~", Op::match}, {"!~", Op::nmatch}};
  for (auto& [word, op] : ops) {
    if (peek().kind == Token::Kind::punct && peek().text == word) {
      next();
      return make2(op, std::move(left), parse_sum());
    }
  }
  return left;
}

std::unique_ptr<Expr> Parser::parse_sum() {
  auto left = parse_product();
  for (;;) {
    if (peek().is("+") && !(peek(1).is("empty"))) {
      next();
      left = make2(Op::add, std::move(left), parse_product());
    } else if (peek().is("-") && !(peek(1).is("empty") || peek(1).is("-"))) {
      next();
      left = make2(Op::sub, std::move(left), parse_product());
    } else if (peek().is("|")) {
      next();
      left = make2(Op::bor, std::move(left), parse_product());
    } else {
      return left;
    }
  }
}

std::unique_ptr<Expr> Parser::parse_product() {
  auto left = parse_unary();
  for (;;) {
    if (accept("*"))
      left = make2(Op::mul, std::move(left), parse_unary());
    else if (peek().is("/") && peek(1).kind != Token::Kind::end) {
      next();
      left = make2(Op::div, std::move(left), parse_unary());
    } else if (accept("&"))
      left = make2(Op::band, std::move(left), parse_unary());
    else
      return left;
  }
}

std::unique_ptr<Expr> Parser::parse_unary() {
  Nesting guard(*this);
  Token t = peek();
  if (accept("!")) {
    auto e = make(Op::not_, t.where.line);
    e->args.push_back(parse_unary());
    return e;
  }
  return parse_postfix(parse_primary());
}

std::unique_ptr<Expr> Parser::parse_postfix(std::unique_ptr<Expr> e) {
  while (peek().is(".")) {
    next();
    Token m = next();
    auto it = std::find_if(std::begin(members), std::end(members),
                           [&](auto& nm) { return m.is(nm.name); });
    if (it == std::end(members))
      syntax_error(m);
    auto mem = make(Op::member, m.where.line);
    mem->slot = uint32_t(it->member);
    mem->name = m.text;
    mem->args.push_back(std::move(e));
    if (it->member == Member::mask) {
      expect("(");
      mem->args.push_back(parse_expr());
      expect(")");
    }
    e = std::move(mem);
  }
  return e;
}

std::unique_ptr<Expr> Parser::parse_primary() {
  Token t = peek();
  int line = t.where.line;
  switch (t.kind) {
    case Token::Kind::number:
      next();
      return make_const(Value::make_int(t.number), line);
    case Token::Kind::ip4:
    case Token::Kind::ip6: {
      next();
      if (peek().is("/") && peek(1).kind == Token::Kind::number) {
        next();
        Token len = next();
        if (len.number > t.addr.bits())
          fail(len, fmt::format("Invalid prefix length {}", len.number));
        return make_const(Value::make_prefix(Prefix::make(t.addr, len.number)), line);
      }
      return make_const(Value::make_ip(t.addr), line);
    }
    case Token::Kind::string: {
      next();
      storage_->strings.push_back(std::make_unique<std::string>(t.text));
      Value v;
      v.type = Type::string;
      v.ref = storage_->strings.back().get();
      return make_const(v, line);
    }
    case Token::Kind::word:
      next();
      return parse_word_expr(t);
    case Token::Kind::punct:
      break;
    case Token::Kind::end:
      syntax_error(t);
  }

  if (t.is("("))
    return parse_paren();
  if (t.is("[="))
    return parse_path_mask();
  if (t.is("["))
    return parse_set();

  // +empty+ -empty- --empty-- ---empty---: empty path and community lists
  if (t.is("+") || t.is("-")) {
    int dashes = 0;
    bool plus = t.is("+");
    while (accept(plus ? "+" : "-"))
      dashes++;
    expect("empty");
    for (int i = 0; i < dashes; i++)
      expect(plus ? "+" : "-");
    if (plus && dashes != 1)
      syntax_error(t);
    static const filter::ListData empty;
    Value v;
    v.type = plus ? Type::path : dashes == 1 ? Type::clist : dashes == 2 ? Type::eclist
                                                                         : Type::lclist;
    if (dashes > 3)
      syntax_error(t);
    v.ref = v.type == Type::path     ? static_cast<const void*>(&empty.path)
            : v.type == Type::clist  ? static_cast<const void*>(&empty.clist)
            : v.type == Type::eclist ? static_cast<const void*>(&empty.eclist)
                                     : static_cast<const void*>(&empty.lclist);
    return make_const(v, line);
  }
  syntax_error(t);
}

// `( expr )`, or a pair `(a, b)`, large community `(a, b, c)`, extended `(rt, a, b)`.
std::unique_ptr<Expr> Parser::parse_paren() {
  Token open = expect("(");
  int line = open.where.line;
  if ((peek().is("rt") || peek().is("ro") || peek().is("generic") || peek().is("unknown")) &&
      peek(1).is(",")) {
    Token kind = next();
    if (!kind.is("rt") && !kind.is("ro"))
      unsupported(kind, fmt::format("Extended community type '{}'", kind.text));
    expect(",");
    auto e = make(Op::make_ec, line);
    e->value = Value::make_int(kind.is("ro"));
    e->args.push_back(parse_expr());
    expect(",");
    e->args.push_back(parse_expr());
    expect(")");
    return e;
  }
  auto first = parse_expr();
  if (accept(")"))
    return first;
  expect(",");
  auto second = parse_expr();
  if (accept(")"))
    return make2(Op::make_pair, std::move(first), std::move(second));
  expect(",");
  auto e = make2(Op::make_lc, std::move(first), std::move(second));
  e->args.push_back(parse_expr());
  expect(")");
  return e;
}

std::vector<std::unique_ptr<Expr>> Parser::parse_call_args() {
  std::vector<std::unique_ptr<Expr>> args;
  expect("(");
  if (accept(")"))
    return args;
  do
    args.push_back(parse_expr());
  while (accept(","));
  expect(")");
  return args;
}

std::unique_ptr<Expr> Parser::parse_word_expr(const Token& t) {
  int line = t.where.line;
  if (t.is("true") || t.is("false"))
    return make_const(Value::make_bool(t.is("true")), line);
  if (auto c = find_constant(t.text))
    return make_const(Value::make_enum(c->kind, c->value), line);

  if (int var = find_variable(t.text); var >= 0) {
    auto e = make(Op::variable, line);
    e->slot = uint32_t(var);
    e->name = t.text;
    return e;
  }
  if (auto it = defines_.find(t.text); it != defines_.end())
    return make_const(it->second, line);

  static const std::pair<std::string_view, Op> builtins[] = {
      {"prepend", Op::fn_prepend}, {"add", Op::fn_add},         {"delete", Op::fn_delete},
      {"filter", Op::fn_filter},   {"defined", Op::fn_defined}, {"format", Op::fn_format}};
  for (auto& [word, op] : builtins) {
    if (!t.is(word) || !peek().is("("))
      continue;
    auto e = make(op, line);
    e->name = t.text;
    e->args = parse_call_args();
    size_t want = op == Op::fn_defined || op == Op::fn_format ? 1 : 2;
    if (e->args.size() != want)
      fail(t, fmt::format("Function {} takes {} arguments", t.text, want));
    return e;
  }

  if (auto it = functions_.find(t.text); it != functions_.end()) {
    auto e = make(Op::call, line);
    e->function = it->second;
    e->name = t.text;
    if (!peek().is("("))
      syntax_error(peek());
    e->args = parse_call_args();
    if (e->args.size() != it->second->arg_types.size())
      fail(t, fmt::format("Function {} takes {} arguments", t.text,
                          it->second->arg_types.size()));
    return e;
  }
  if (auto a = find_attribute(t.text)) {
    auto e = make(Op::attribute, line);
    e->slot = uint32_t(a->attr);
    e->name = t.text;
    return e;
  }
  if (is_unsupported_attribute(t.text))
    unsupported(t, fmt::format("Attribute {}", t.text));
  if (t.is("roa_check") || t.is("aspa_check") || t.is("from_hex") || t.is("ifname"))
    unsupported(t, fmt::format("'{}'", t.text));
  syntax_error(t);
}

// `[ item, item, ... ]`: the first item decides the kind of set.
std::unique_ptr<Expr> Parser::parse_set() {
  Token open = expect("[");
  auto set = std::make_unique<filter::Set>();
  bool first = true;
  auto set_kind = [&](filter::Set::Kind k, const Token& at) {
    if (first)
      set->kind = k;
    else if (set->kind != k)
      fail(at, "Mixed types in set");
    first = false;
  };
  // One component of a pair or large community pattern: NUM, NUM..NUM or *.
  auto component = [&](uint64_t max, uint64_t& lo, uint64_t& hi) {
    if (accept("*")) {
      lo = 0;
      hi = max;
      return;
    }
    Token at = peek();
    Value v = evaluate_constant(parse_unary(), at);
    if (v.type != Type::int_ || uint64_t(v.n) > max)
      fail(at, "Value out of range");
    lo = hi = uint64_t(v.n);
    if (accept("..")) {
      Token at2 = peek();
      Value h = evaluate_constant(parse_unary(), at2);
      if (h.type != Type::int_ || uint64_t(h.n) > max || uint64_t(h.n) < lo)
        fail(at2, "Value out of range");
      hi = uint64_t(h.n);
    }
  };

  if (!peek().is("]")) {
    do {
      Token at = peek();
      filter::Set::Range r;
      if (at.is("(")) {
        next();
        if (peek().is("rt") || peek().is("ro")) {
          set_kind(filter::Set::Kind::ec, at);
          bool ro = next().is("ro");
          expect(",");
          uint64_t alo, ahi, vlo, vhi;
          component(0xffffffffull, alo, ahi);
          expect(",");
          component(0xffffffffull, vlo, vhi);
          if (alo != ahi)
            fail(at, "Ranges of the administrator are not supported in extended community sets");
          r.lo[0] = make_ec(ro, uint32_t(alo), uint32_t(vlo));
          r.hi[0] = make_ec(ro, uint32_t(alo), uint32_t(std::min<uint64_t>(vhi, alo > 0xffff ? 0xffff : vhi)));
        } else {
          component(0xffffffffull, r.lo[0], r.hi[0]);
          expect(",");
          component(0xffffffffull, r.lo[1], r.hi[1]);
          if (accept(",")) {
            set_kind(filter::Set::Kind::lc, at);
            component(0xffffffffull, r.lo[2], r.hi[2]);
          } else {
            set_kind(filter::Set::Kind::pair, at);
            if (r.hi[0] > 0xffff && r.lo[0] != 0)
              fail(at, "Value out of range");
            r.hi[0] = std::min<uint64_t>(r.hi[0], 0xffff);
            if (r.hi[1] > 0xffff)
              r.hi[1] = std::min<uint64_t>(r.hi[1], 0xffff);
          }
        }
        expect(")");
        set->ranges.push_back(r);
        continue;
      }

      Value v = evaluate_constant(parse_unary(), at);
      if (v.type == Type::prefix) {
        set_kind(filter::Set::Kind::prefix, at);
        filter::Set::PrefixPattern p{v.net, v.net.len, v.net.len};
        uint8_t max = uint8_t(v.net.addr.bits());
        if (accept("+")) {
          p.hi = max;
        } else if (accept("-")) {
          p.lo = 0;
        } else if (accept("{")) {
          Token lo = next();
          expect(",");
          Token hi = next();
          expect("}");
          if (lo.kind != Token::Kind::number || hi.kind != Token::Kind::number ||
              lo.number > hi.number || hi.number > max || lo.number < v.net.len)
            fail(lo, "Invalid prefix pattern range");
          p.lo = uint8_t(lo.number);
          p.hi = uint8_t(hi.number);
        }
        if (!set->prefixes.empty() && set->prefixes.front().prefix.family() != v.net.family())
          fail(at, "Mixed IPv4/IPv6 prefixes in prefix set");
        set->prefixes.push_back(p);
      } else if (v.type == Type::set && v.set().kind == filter::Set::Kind::prefix) {
        // A defined prefix set used inside another one: its patterns are copied in.
        set_kind(filter::Set::Kind::prefix, at);
        auto& other = v.set().prefixes;
        set->prefixes.insert(set->prefixes.end(), other.begin(), other.end());
      } else if (v.type == Type::ip) {
        set_kind(filter::Set::Kind::ip, at);
        set->ips.push_back(v.net.addr);
      } else if (v.type == Type::int_ || v.type == Type::pair || v.type == Type::enum_) {
        set_kind(v.type == Type::pair ? filter::Set::Kind::pair : filter::Set::Kind::int_, at);
        if (v.type == Type::pair) {
          r.lo[0] = r.hi[0] = uint64_t(v.n) >> 16;
          r.lo[1] = r.hi[1] = uint64_t(v.n) & 0xffff;
        } else {
          r.lo[0] = r.hi[0] = uint64_t(v.n);
          if (accept("..")) {
            Token at2 = peek();
            Value h = evaluate_constant(parse_unary(), at2);
            if (h.type != Type::int_ || h.n < v.n)
              fail(at2, "Invalid range");
            r.hi[0] = uint64_t(h.n);
          }
        }
        set->ranges.push_back(r);
      } else if (v.type == Type::lc) {
        set_kind(filter::Set::Kind::lc, at);
        r.lo[0] = r.hi[0] = v.lc.global;
        r.lo[1] = r.hi[1] = v.lc.local1;
        r.lo[2] = r.hi[2] = v.lc.local2;
        set->ranges.push_back(r);
      } else {
        fail(at, "Unsupported set element");
      }
    } while (accept(","));
  }
  expect("]");
  Value v;
  v.type = Type::set;
  v.ref = set.get();
  storage_->sets.push_back(std::move(set));
  return make_const(v, open.where.line);
}

// `[= 65000 * ? 1..10 =]`
std::unique_ptr<Expr> Parser::parse_path_mask() {
  Token open = expect("[=");
  auto mask = std::make_unique<filter::PathMask>();
  using Item = filter::PathMask::Item;
  while (!accept("=]")) {
    Token t = peek();
    Item item;
    if (accept("*")) {
      item.kind = Item::Kind::any_many;
    } else if (accept("?")) {
      item.kind = Item::Kind::any_one;
    } else {
      Value v = evaluate_constant(parse_unary(), t);
      if (v.type != Type::int_)
        fail(t, "Path mask items are AS numbers, ranges, * or ?");
      item.lo = item.hi = uint32_t(v.n);
      if (accept("..")) {
        Token at2 = peek();
        Value h = evaluate_constant(parse_unary(), at2);
        if (h.type != Type::int_ || h.n < v.n)
          fail(at2, "Invalid range");
        item.kind = Item::Kind::range;
        item.hi = uint32_t(h.n);
      }
    }
    mask->items.push_back(item);
  }
  Value v;
  v.type = Type::path_mask;
  v.ref = mask.get();
  storage_->masks.push_back(std::move(mask));
  return make_const(v, open.where.line);
}

filter::Value Parser::evaluate_constant(std::unique_ptr<Expr> e, const Token& at) {
  try {
    return filter::evaluate_constant(*e, *storage_);
  } catch (const std::runtime_error& err) {
    fail(at, err.what());
  }
}

std::shared_ptr<const filter::Filter> Parser::parse_filter_text() {
  if (peek().is("{")) {
    auto f = parse_filter_body("");
    return f;
  }
  if (accept("where"))
    return parse_where_filter();
  while (peek().kind != Token::Kind::end)
    parse_top_statement();
  if (!last_filter_)
    throw ConfigError(peek().where, "No filter defined", "");
  return last_filter_;
}

}  // namespace bpfr::config

namespace bpfr::filter {

std::shared_ptr<const Filter> compile(std::string_view text) {
  config::Lexer lexer(text, "<filter>");
  config::Parser parser(lexer);
  return parser.parse_filter_text();
}

}  // namespace bpfr::filter
