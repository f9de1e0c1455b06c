#include "config/parser.h"

#include <fnmatch.h>

#include <algorithm>

#include "bpfrouter/maps.h"
#include "config/parser_impl.h"

namespace bpfr::config {

namespace {

constexpr uint32_t max_counter_slots = BPFR_MAX_SLOTS;

// Protocols and options BIRD has that bpfrouter does not implement: refused by name, never
// skipped, so a configuration never silently means less than it says.
constexpr std::string_view unsupported_protocols[] = {
    "rpki", "bfd", "ospf", "babel", "radv", "pipe", "mrt", "rip", "perf", "l3vpn", "aggregator",
};

constexpr std::string_view unsupported_top[] = {
    "roa4", "roa6", "vpn4", "vpn6", "flow4", "flow6", "mpls", "attribute", "eval", "watchdog",
    "mrtdump", "listen", "graceful", "hostname", "ipv4", "ipv6",
};

bool is_keyword_bool(const Token& t) {
  static constexpr std::string_view words[] = {"on", "off", "yes", "no", "true", "false"};
  return t.kind == Token::Kind::word && std::find(std::begin(words), std::end(words), t.text) != std::end(words);
}

}  // namespace

// ---- tokens -----------------------------------------------------------------------------

bool Parser::accept(std::string_view word) {
  if (!peek().is(word))
    return false;
  next();
  return true;
}

Token Parser::expect(std::string_view word) {
  Token t = next();
  if (!t.is(word))
    syntax_error(t);
  return t;
}

void Parser::fail(const Token& at, const std::string& message) {
  throw ConfigError(at.where, message, at.kind == Token::Kind::end ? "" : at.text);
}

void Parser::unsupported(const Token& at, const std::string& what) {
  fail(at, fmt::format("{} is not supported by bpfrouter", what));
}

std::string Parser::expect_name() {
  Token t = next();
  if (t.kind != Token::Kind::word)
    syntax_error(t);
  return t.text;
}

uint32_t Parser::parse_number() {
  Token t = peek();
  filter::Value v = parse_constant_term();
  if (v.type != filter::Type::int_ || v.n < 0 || v.n > 0xffffffffll)
    fail(t, "Number expected");
  return uint32_t(v.n);
}

bool Parser::parse_bool_opt() {
  const Token& t = peek();
  if (t.kind == Token::Kind::number)
    return next().number != 0;
  if (!is_keyword_bool(t))
    return true;
  std::string w = next().text;
  return w == "on" || w == "yes" || w == "true";
}

Address Parser::parse_address() {
  Token t = peek();
  filter::Value v = parse_constant_term();
  if (v.type != filter::Type::ip)
    fail(t, "IP address expected");
  return v.net.addr;
}

Prefix Parser::parse_prefix() {
  Token t = peek();
  filter::Value v = parse_constant_term();
  if (v.type != filter::Type::prefix)
    fail(t, "Prefix expected");
  return v.net;
}

std::string Parser::parse_string() {
  Token t = peek();
  filter::Value v = parse_constant_term();
  if (v.type != filter::Type::string)
    fail(t, "String expected");
  return v.str();
}

// A constant in a configuration statement: a literal, a defined name, or `( expression )`.
filter::Value Parser::parse_constant_term() {
  Token t = peek();
  switch (t.kind) {
    case Token::Kind::number:
      next();
      return filter::Value::make_int(t.number);
    case Token::Kind::ip4:
    case Token::Kind::ip6: {
      next();
      if (!accept("/"))
        return filter::Value::make_ip(t.addr);
      Token len = next();
      if (len.kind != Token::Kind::number)
        syntax_error(len);
      if (len.number > t.addr.bits())
        fail(len, fmt::format("Invalid prefix length {}", len.number));
      return filter::Value::make_prefix(Prefix::make(t.addr, len.number));
    }
    case Token::Kind::string: {
      next();
      storage_->strings.push_back(std::make_unique<std::string>(t.text));
      filter::Value v;
      v.type = filter::Type::string;
      v.ref = storage_->strings.back().get();
      return v;
    }
    case Token::Kind::word: {
      if (auto it = defines_.find(t.text); it != defines_.end()) {
        next();
        return it->second;
      }
      if (t.text == "true" || t.text == "false") {
        next();
        return filter::Value::make_bool(t.text == "true");
      }
      syntax_error(t);
    }
    default:
      if (t.is("(")) {
        Token at = t;
        return evaluate_constant(parse_expr(), at);
      }
      syntax_error(t);
  }
}

// `debug ...` only changes what BIRD traces: `all`, `off`, or `{ states, routes, ... }`.
void Parser::skip_debug_classes() {
  if (!accept("{")) {
    Token t = next();
    if (t.kind != Token::Kind::word)
      syntax_error(t);
    return;
  }
  while (!accept("}")) {
    Token t = next();
    if (t.kind != Token::Kind::word && !t.is(","))
      syntax_error(t);
  }
}

// ---- the file ---------------------------------------------------------------------------

Config Parser::parse_file() {
  while (peek().kind != Token::Kind::end)
    parse_top_statement();
  finish(config_);
  config_.files = lex_.files();
  config_.filters = filters_;
  return std::move(config_);
}

void Parser::finish(Config& c) {
  size_t protocols = c.device.size() + c.direct.size() + c.statics.size() + c.kernel.size() +
                     c.bgp.size();
  if (protocols == 0) {
    Token end = peek();
    end.where.line = 1;
    end.where.column = 0;
    end.where.file = lex_.files().empty() ? "" : lex_.files().front();
    throw ConfigError(end.where, "No protocol is specified in the config file", "");
  }
}

void Parser::parse_top_statement() {
  Token t = next();
  if (t.kind != Token::Kind::word)
    syntax_error(t);
  const std::string& w = t.text;

  if (w == "router") {
    expect("id");
    Token at = peek();
    filter::Value v = parse_constant_term();
    if (v.type == filter::Type::int_)
      config_.router_id = Address::v4(uint32_t(v.n));
    else if (v.type == filter::Type::ip && v.net.addr.is_v4())
      config_.router_id = v.net.addr;
    else
      fail(at, "Router ID must be an IPv4 address or a number");
    end_statement();
  } else if (w == "log") {
    parse_log();
  } else if (w == "define") {
    parse_define();
  } else if (w == "filter") {
    parse_filter_definition();
  } else if (w == "function") {
    parse_function_definition();
  } else if (w == "protocol") {
    parse_protocol(false);
  } else if (w == "template") {
    parse_protocol(true);
  } else if (w == "bpfrouter") {
    parse_fast_path();
  } else if ((w == "ipv4" || w == "ipv6") && peek().is("table")) {
    next();
    tables_.push_back(expect_name());
    end_statement();
  } else if (w == "timeformat") {
    // Affects only how times are printed; accepted for compatibility.
    while (!peek().is(";") && peek().kind != Token::Kind::end)
      next();
    end_statement();
  } else if (w == "debug" && peek().is("protocols")) {
    next();
    skip_debug_classes();
    end_statement();
  } else if (std::find(std::begin(unsupported_top), std::end(unsupported_top), w) !=
             std::end(unsupported_top)) {
    unsupported(t, fmt::format("'{}'", w));
  } else {
    syntax_error(t);
  }
}

void Parser::parse_log() {
  LogTarget target;
  Token t = peek();
  if (t.kind == Token::Kind::string) {
    target.kind = LogTarget::Kind::file;
    target.path = next().text;
    if (peek().kind == Token::Kind::number) {
      target.size_limit = next().number;
      target.backup_path = parse_string();
    }
  } else if (accept("syslog")) {
    target.kind = LogTarget::Kind::syslog;
    if (accept("name"))
      target.syslog_name = parse_string();
  } else if (accept("stderr")) {
    target.kind = LogTarget::Kind::stderr_;
  } else if (t.is("udp")) {
    unsupported(t, "Logging over UDP");
  } else {
    syntax_error(t);
  }

  if (accept("all")) {
    target.classes = log_all;
  } else {
    expect("{");
    target.classes = 0;
    static const std::pair<std::string_view, uint32_t> names[] = {
        {"debug", log_debug}, {"trace", log_trace}, {"info", log_info}, {"remote", log_remote},
        {"warning", log_warning}, {"error", log_error}, {"auth", log_auth}, {"fatal", log_fatal},
        {"bug", log_bug}};
    do {
      Token c = next();
      auto it = std::find_if(std::begin(names), std::end(names),
                             [&](auto& n) { return c.is(n.first); });
      if (it == std::end(names))
        syntax_error(c);
      target.classes |= it->second;
    } while (accept(","));
    expect("}");
  }
  end_statement();
  config_.log.push_back(std::move(target));
}

void Parser::parse_define() {
  Token name = next();
  if (name.kind != Token::Kind::word)
    syntax_error(name);
  if (defines_.count(name.text) || filters_.count(name.text) || functions_.count(name.text))
    fail(name, fmt::format("Symbol '{}' already defined", name.text));
  expect("=");
  Token at = peek();

  filter::Value v = evaluate_constant(parse_expr(), at);
  end_statement();
  defines_[name.text] = v;
  config_.defines[name.text] = filter::format_value(v);
}

// ---- protocols --------------------------------------------------------------------------

void Parser::parse_protocol(bool is_template) {
  Token kind = next();
  if (kind.kind != Token::Kind::word)
    syntax_error(kind);
  if (std::find(std::begin(unsupported_protocols), std::end(unsupported_protocols), kind.text) !=
      std::end(unsupported_protocols))
    unsupported(kind, fmt::format("Protocol {}", kind.text));
  static constexpr std::string_view kinds[] = {"device", "direct", "static", "kernel", "bgp"};
  if (std::find(std::begin(kinds), std::end(kinds), kind.text) == std::end(kinds))
    syntax_error(kind);

  std::string name;
  Token name_token = peek();
  if (peek().kind == Token::Kind::word && !peek().is("from")) {
    name = next().text;
    if (config_.protocol(name) || bgp_templates_.count(name) || template_kinds_.count(name) ||
        defines_.count(name) || filters_.count(name))
      fail(name_token, fmt::format("Symbol '{}' already defined", name));
  } else if (is_template) {
    syntax_error(name_token);
  }
  std::string from;
  if (accept("from")) {
    Token tt = next();
    if (kind.text == "bgp" && bgp_templates_.count(tt.text)) {
      from = tt.text;
    } else {
      fail(tt, template_kinds_.count(tt.text) ? "Template of a different protocol type"
                                              : "Unknown template");
    }
  }
  if (name.empty()) {
    int n = ++counters_[kind.text];
    name = fmt::format("{}{}", kind.text, n);
  }

  auto init = [&](ProtocolCommon& p) {
    p.name = name;
    p.from_template = from;
    p.where = kind.where;
  };

  if (kind.text == "bgp") {
    BgpProtocol p = from.empty() ? BgpProtocol{} : bgp_templates_.at(from);
    init(p);
    parse_bgp(p);
    if (is_template) {
      bgp_templates_[name] = std::move(p);
      return;
    }
    if (!p.neighbor_address)
      throw ConfigError(last_, "Neighbor must be configured", "");
    if (p.local_as == 0)
      throw ConfigError(last_, "Local AS number must be set", "");
    if (p.neighbor_as == 0)
      throw ConfigError(last_, "Neighbor AS number must be set", "");
    // RFC 8212: BIRD wants both policies spelled out for an EBGP channel.
    for (auto& c : p.channels) {
      if (!p.is_internal() && c.import_policy.text == "default")
        throw ConfigError(last_, "EBGP requires explicit import policy", "");
      if (!p.is_internal() && c.export_policy.text == "default")
        throw ConfigError(last_, "EBGP requires explicit export policy", "");
      if (c.import_policy.text == "default")
        c.import_policy.text.clear();
      if (c.export_policy.text == "default")
        c.export_policy.text.clear();
    }
    if (p.channels.empty()) {
      Channel c4{Family::v4, "master4"}, c6{Family::v6, "master6"};
      c4.import_policy.kind = c6.import_policy.kind =
          p.is_internal() ? Policy::Kind::all : Policy::Kind::none;
      p.channels = {c4, c6};
      if (p.neighbor_address->is_v4())
        p.channels.pop_back();
      else
        p.channels.erase(p.channels.begin());
    }
    config_.bgp.push_back(std::move(p));
    return;
  }

  auto clear_defaults = [](ProtocolCommon& p) {
    for (auto& c : p.channels) {
      if (c.import_policy.text == "default")
        c.import_policy.text.clear();
      if (c.export_policy.text == "default")
        c.export_policy.text.clear();
    }
  };
  if (is_template) {
    // Templates of other protocols are rare in small configurations.
    unsupported(kind, fmt::format("A template of protocol {}", kind.text));
  }
  if (kind.text == "device") {
    if (!config_.device.empty())
      fail(kind, "Kernel device protocol already defined");
    DeviceProtocol p;
    init(p);
    parse_device(p);
    clear_defaults(p);
    config_.device.push_back(std::move(p));
  } else if (kind.text == "direct") {
    DirectProtocol p;
    init(p);
    parse_direct(p);
    clear_defaults(p);
    config_.direct.push_back(std::move(p));
  } else if (kind.text == "static") {
    StaticProtocol p;
    init(p);
    parse_static(p);
    clear_defaults(p);
    if (p.channels.empty())
      throw ConfigError(last_, "Channel not specified", "");
    if (p.channels.size() > 1)
      throw ConfigError(last_, "Static protocol takes one channel", "");
    for (auto& r : p.routes)
      if (r.prefix.family() != p.channels[0].family)
        throw ConfigError(last_, fmt::format("Route {} incompatible with channel type", r.prefix),
                          "");
    config_.statics.push_back(std::move(p));
  } else {
    KernelProtocol p;
    init(p);
    parse_kernel(p);
    clear_defaults(p);
    if (p.channels.empty())
      throw ConfigError(last_, "Channel not specified", "");
    if (p.channels.size() > 1)
      throw ConfigError(last_, "Kernel protocol takes one channel", "");
    config_.kernel.push_back(std::move(p));
  }
}

// Options every protocol takes. Sets `handled` when `t` was one of them.
void Parser::parse_common_option(ProtocolCommon& p, const Token& t, bool& handled) {
  handled = true;
  if (t.is("disabled")) {
    p.disabled = parse_bool_opt();
  } else if (t.is("description")) {
    p.description = parse_string();
  } else if (t.is("vrf")) {
    if (accept("default"))
      p.vrf.clear();
    else
      p.vrf = parse_string();
  } else if (t.is("debug")) {
    skip_debug_classes();
  } else if (t.is("ipv4") || t.is("ipv6")) {
    parse_channel(p, t.is("ipv4") ? Family::v4 : Family::v6);
    return;
  } else if (t.is("import") || t.is("export")) {
    fail(t, "Import and export belong in an ipv4 or ipv6 channel block");
  } else if (t.is("mpls") || t.is("ipv4-mc") || t.is("ipv6-mc") || t.is("vpn4") || t.is("vpn6") ||
             t.is("flow4") || t.is("flow6") || t.is("ipv4-mpls") || t.is("ipv6-mpls")) {
    unsupported(t, fmt::format("Channel {}", t.text));
  } else if (t.is("router") || t.is("mrtdump") || t.is("table") || t.is("preference")) {
    unsupported(t, fmt::format("Protocol option '{}'", t.text));
  } else {
    handled = false;
    return;
  }
  end_statement();
}

void Parser::parse_channel(ProtocolCommon& p, Family family) {
  Channel* c = nullptr;
  for (auto& existing : p.channels)
    if (existing.family == family)
      c = &existing;
  if (!c) {
    Channel fresh;
    fresh.family = family;
    fresh.table = family == Family::v4 ? "master4" : "master6";
    fresh.import_policy.text = "default";  // not set explicitly, until parse_policy()
    fresh.export_policy.text = "default";
    p.channels.push_back(fresh);
    c = &p.channels.back();
  }

  if (accept("{")) {
    while (!accept("}")) {
      Token t = next();
      if (t.is("import")) {
        if (accept("limit")) {
          c->import_limit = parse_limit();
        } else if (peek().is("keep")) {
          unsupported(peek(), "'import keep filtered'");
        } else if (accept("table")) {
          c->import_table = parse_bool_opt();
        } else {
          c->import_policy = parse_policy();
        }
      } else if (t.is("export")) {
        if (accept("limit"))
          c->export_limit = parse_limit();
        else if (accept("table"))
          unsupported(t, "'export table'");
        else
          c->export_policy = parse_policy();
      } else if (t.is("receive")) {
        expect("limit");
        c->receive_limit = parse_limit();
      } else if (t.is("table")) {
        Token tn = next();
        if (std::find(tables_.begin(), tables_.end(), tn.text) == tables_.end())
          fail(tn, "Unknown table");
        c->table = tn.text;
      } else if (t.is("preference")) {
        c->preference = parse_number();
      } else if (t.is("next")) {
        expect("hop");
        if (accept("self")) {
          if (peek().is("ibgp") || peek().is("ebgp"))
            unsupported(peek(), "'next hop self ibgp|ebgp'");
          c->next_hop_self = parse_bool_opt();
        } else if (accept("keep")) {
          c->next_hop_keep = parse_bool_opt();
        } else if (accept("address")) {
          c->next_hop_address = parse_address();
        } else {
          syntax_error(peek());
        }
      } else if (t.is("gateway")) {
        Token g = next();
        if (!g.is("direct") && !g.is("recursive"))
          syntax_error(g);
        c->gateway_recursive = g.is("recursive");
        c->gateway_set = true;
      } else if (t.is("extended")) {
        expect("next");
        expect("hop");
        c->extended_next_hop = parse_bool_opt();
      } else if (t.is("add")) {
        expect("paths");
        if (accept("rx")) {
          c->add_paths_rx = true;
        } else if (accept("tx")) {
          c->add_paths_tx = true;
        } else {
          bool on = parse_bool_opt();
          c->add_paths_rx = c->add_paths_tx = on;
        }
      } else if (t.is("rpki") || t.is("igp") || t.is("missing") || t.is("secondary") ||
                 t.is("aigp") || t.is("mandatory") || t.is("require") || t.is("cost") ||
                 t.is("debug") || t.is("base") || t.is("validate")) {
        unsupported(t, fmt::format("Channel option '{}'", t.text));
      } else {
        syntax_error(t);
      }
      end_statement();
    }
  }
  end_statement();
}

Policy Parser::parse_policy() {
  Policy policy;
  Token t = next();
  if (t.is("all")) {
    policy.kind = Policy::Kind::all;
  } else if (t.is("none")) {
    policy.kind = Policy::Kind::none;
  } else if (t.is("filter")) {
    policy.kind = Policy::Kind::filter;
    if (peek().is("{")) {
      auto f = parse_filter_body("");
      policy.text = f->text;
      policy.filter = std::move(f);
    } else {
      Token name = next();
      auto it = filters_.find(name.text);
      if (it == filters_.end())
        fail(name, name.kind == Token::Kind::word ? "No such filter" : "syntax error");
      policy.filter = it->second;
      policy.filter_name = name.text;
      policy.text = it->second->text;
    }
  } else if (t.is("where")) {
    policy.kind = Policy::Kind::filter;
    auto f = parse_where_filter();
    policy.text = f->text;
    policy.filter = std::move(f);
  } else {
    syntax_error(t);
  }
  return policy;
}

Limit Parser::parse_limit() {
  Limit limit;
  if (accept("off")) {
    limit.max = 0;
    return limit;
  }
  limit.max = parse_number();
  if (accept("action")) {
    Token a = next();
    if (a.is("warn"))
      limit.action = Limit::Action::warn;
    else if (a.is("block"))
      limit.action = Limit::Action::block;
    else if (a.is("restart"))
      limit.action = Limit::Action::restart;
    else if (a.is("disable"))
      limit.action = Limit::Action::disable;
    else
      syntax_error(a);
  }
  return limit;
}

std::vector<InterfacePattern> Parser::parse_interface_patterns() {
  std::vector<InterfacePattern> out;
  do {
    InterfacePattern p;
    p.negative = accept("-");
    if (peek().kind == Token::Kind::string)
      p.glob = next().text;
    else
      p.glob = "*";
    if (peek().kind == Token::Kind::ip4 || peek().kind == Token::Kind::ip6)
      p.range = parse_prefix();
    if (p.glob == "*" && !p.range && !p.negative && peek().is(","))
      syntax_error(peek());
    out.push_back(std::move(p));
  } while (accept(","));
  return out;
}

template <class Protocol, class OwnOption>
void Parser::parse_protocol_block(Protocol& p, OwnOption own_option) {
  expect("{");
  while (!accept("}")) {
    Token t = next();
    bool handled;
    parse_common_option(p, t, handled);
    if (handled)
      continue;
    if (!own_option(t))
      syntax_error(t);
    end_statement();
  }
}

void Parser::parse_device(DeviceProtocol& p) {
  parse_protocol_block(p, [&](const Token& t) {
    if (t.is("scan")) {
      expect("time");
      p.scan_time = parse_number();
    } else if (t.is("interface")) {
      auto more = parse_interface_patterns();
      p.interfaces.insert(p.interfaces.end(), more.begin(), more.end());
    } else {
      return false;
    }
    return true;
  });
}

void Parser::parse_direct(DirectProtocol& p) {
  parse_protocol_block(p, [&](const Token& t) {
    if (t.is("interface")) {
      auto more = parse_interface_patterns();
      p.interfaces.insert(p.interfaces.end(), more.begin(), more.end());
    } else if (t.is("check")) {
      expect("link");
      p.check_link = parse_bool_opt();
    } else {
      return false;
    }
    return true;
  });
}

void Parser::parse_static(StaticProtocol& p) {
  parse_protocol_block(p, [&](const Token& t) {
    if (t.is("route")) {
      parse_static_route(p);
    } else if (t.is("check")) {
      expect("link");
      p.check_link = parse_bool_opt();
    } else if (t.is("igp")) {
      unsupported(t, "Static option 'igp table'");
    } else {
      return false;
    }
    return true;
  });
}

void Parser::parse_static_route(StaticProtocol& p) {
  StaticRoute r;
  r.where = peek().where;
  r.prefix = parse_prefix();
  Token t = next();
  if (t.is("via")) {
    if (peek().kind == Token::Kind::string) {
      r.kind = StaticRoute::Kind::interface;
      r.interface = next().text;
    } else {
      r.kind = StaticRoute::Kind::via;
      for (;;) {
        StaticRoute::NextHop nh;
        nh.via = parse_address();
        if (accept("%"))
          nh.interface = expect_name();
        // Options of the next hop, in any order.
        for (;;) {
          if (accept("onlink")) {
            nh.onlink = parse_bool_opt();
          } else if (accept("weight")) {
            Token wt = peek();
            nh.weight = parse_number();
            if (nh.weight < 1 || nh.weight > 256)
              fail(wt, "Weight must be in range 1-256");
          } else if (peek().is("bfd")) {
            unsupported(peek(), "BFD");
          } else if (peek().is("mpls")) {
            unsupported(peek(), "MPLS");
          } else {
            break;
          }
        }
        r.next_hops.push_back(nh);
        if (!accept("via"))
          break;
      }
    }
  } else if (t.is("blackhole") || t.is("drop")) {
    r.kind = StaticRoute::Kind::blackhole;
  } else if (t.is("unreachable") || t.is("reject")) {
    r.kind = StaticRoute::Kind::unreachable;
  } else if (t.is("prohibit")) {
    r.kind = StaticRoute::Kind::prohibit;
  } else if (t.is("recursive")) {
    unsupported(t, "Recursive static routes");
  } else {
    syntax_error(t);
  }
  if (peek().is("{")) {
    auto f = parse_filter_body("");
    r.attributes_text = f->text;
    r.attributes = std::move(f);
  }
  p.routes.push_back(std::move(r));
}

void Parser::parse_kernel(KernelProtocol& p) {
  parse_protocol_block(p, [&](const Token& t) {
    if (t.is("learn")) {
      if (peek().is("all"))
        unsupported(peek(), "'learn all'");
      p.learn = parse_bool_opt();
    } else if (t.is("persist")) {
      p.persist = parse_bool_opt();
    } else if (t.is("scan")) {
      expect("time");
      p.scan_time = parse_number();
    } else if (t.is("kernel")) {
      expect("table");
      p.kernel_table = parse_number();
    } else if (t.is("metric")) {
      p.metric = parse_number();
    } else if (t.is("merge")) {
      expect("paths");
      p.merge_paths = parse_bool_opt();
      if (accept("limit"))
        p.merge_paths_limit = parse_number();
    } else if (t.is("graceful")) {
      expect("restart");
      p.graceful_restart = parse_bool_opt();
    } else if (t.is("device") || t.is("netlink")) {
      unsupported(t, fmt::format("Kernel option '{}'", t.text));
    } else {
      return false;
    }
    return true;
  });
}

void Parser::parse_bgp(BgpProtocol& p) {
  expect("{");
  while (!accept("}")) {
    Token t = next();
    bool handled;
    parse_common_option(p, t, handled);
    if (!handled)
      parse_bgp_option(p, t);
  }
}

void Parser::parse_bgp_option(BgpProtocol& p, const Token& t) {
  auto time_option = [&](uint32_t& field) {
    expect("time");
    field = parse_number();
  };

  if (t.is("local")) {
    // local [ADDR] [port N] [as N]
    if (peek().kind == Token::Kind::ip4 || peek().kind == Token::Kind::ip6 ||
        (peek().kind == Token::Kind::word && defines_.count(peek().text)))
      p.local_address = parse_address();
    if (accept("port"))
      unsupported(t, "'local port'");
    if (accept("as"))
      p.local_as = parse_number();
  } else if (t.is("neighbor")) {
    if (peek().is("range"))
      unsupported(peek(), "'neighbor range'");
    if (!peek().is("as") && !peek().is("port")) {
      p.neighbor_address = parse_address();
      if (accept("%"))
        p.interface = expect_name();
    }
    if (accept("port")) {
      Token at = peek();
      uint32_t port = parse_number();
      if (port == 0 || port > 65535)
        fail(at, "Port must be in range 1-65535");
      p.neighbor_port = uint16_t(port);
    }
    if (accept("as")) {
      if (peek().is("internal") || peek().is("external"))
        unsupported(peek(), "'as internal|external'");
      p.neighbor_as = parse_number();
    }
  } else if (t.is("interface")) {
    p.interface = parse_string();
  } else if (t.is("direct")) {
    p.multihop.reset();
  } else if (t.is("multihop")) {
    p.multihop = 64;
    if (peek().kind == Token::Kind::number || peek().is("("))
      p.multihop = parse_number();
  } else if (t.is("source")) {
    expect("address");
    p.source_address = parse_address();
  } else if (t.is("password")) {
    p.password = parse_string();
  } else if (t.is("passive")) {
    p.passive = parse_bool_opt();
  } else if (t.is("ttl")) {
    expect("security");
    p.ttl_security = parse_bool_opt();
  } else if (t.is("hold")) {
    time_option(p.hold_time);
  } else if (t.is("startup")) {
    expect("hold");
    time_option(p.startup_hold_time);
  } else if (t.is("keepalive")) {
    time_option(p.keepalive_time);
  } else if (t.is("connect")) {
    if (accept("retry"))
      time_option(p.connect_retry_time);
    else if (accept("delay"))
      time_option(p.connect_delay_time);
    else
      syntax_error(peek());
  } else if (t.is("error")) {
    if (accept("wait")) {
      expect("time");
      p.error_wait_time_min = parse_number();
      expect(",");
      p.error_wait_time_max = parse_number();
    } else {
      expect("forget");
      expect("time");
      parse_number();
    }
  } else if (t.is("graceful")) {
    expect("restart");
    if (accept("time")) {
      p.graceful_restart_time = parse_number();
    } else if (accept("aware")) {
      p.graceful_restart = BgpProtocol::GracefulRestart::aware;
    } else {
      p.graceful_restart =
          parse_bool_opt() ? BgpProtocol::GracefulRestart::on : BgpProtocol::GracefulRestart::off;
    }
  } else if (t.is("rr")) {
    if (accept("client")) {
      p.rr_client = parse_bool_opt();
    } else {
      expect("cluster");
      expect("id");
      if (peek().kind == Token::Kind::number)
        p.rr_cluster_id = Address::v4(parse_number());
      else
        p.rr_cluster_id = parse_address();
    }
  } else if (t.is("rs")) {
    expect("client");
    p.rs_client = parse_bool_opt();
  } else if (t.is("enable")) {
    if (accept("route")) {
      expect("refresh");
      p.enable_route_refresh = parse_bool_opt();
    } else if (accept("as4")) {
      p.enable_as4 = parse_bool_opt();
    } else if (accept("extended")) {
      expect("messages");
      p.enable_extended_messages = parse_bool_opt();
    } else {
      syntax_error(peek());
    }
  } else if (t.is("capabilities")) {
    p.capabilities = parse_bool_opt();
  } else if (t.is("advertise")) {
    if (peek().is("hostname"))
      unsupported(peek(), "'advertise hostname'");
    expect("ipv4");
    p.advertise_ipv4 = parse_bool_opt();
  } else if (t.is("interpret")) {
    expect("communities");
    p.interpret_communities = parse_bool_opt();
  } else if (t.is("allow")) {
    if (accept("local")) {
      expect("as");
      p.allow_local_as = true;
      p.allow_local_as_count = 1;
      if (peek().kind == Token::Kind::number)
        p.allow_local_as_count = parse_number();
    } else {
      expect("bgp_local_pref");
      p.allow_local_pref = parse_bool_opt();
    }
  } else if (t.is("deterministic")) {
    expect("med");
    p.deterministic_med = parse_bool_opt();
  } else if (t.is("igp")) {
    expect("metric");
    p.igp_metric = parse_bool_opt();
  } else if (t.is("prefer")) {
    expect("older");
    p.prefer_older = parse_bool_opt();
  } else if (t.is("med")) {
    expect("metric");
    p.med_metric = parse_bool_opt();
  } else if (t.is("check")) {
    expect("link");
    p.check_link = parse_bool_opt();
  } else if (t.is("default")) {
    Token a = next();
    if (a.is("bgp_local_pref"))
      p.default_local_pref = parse_number();
    else if (a.is("bgp_med"))
      p.default_med = parse_number();
    else
      syntax_error(a);
  } else if (t.is("bfd") || t.is("confederation") || t.is("long") || t.is("dynamic") ||
             t.is("strict") || t.is("path") || t.is("setkey") || t.is("require") ||
             t.is("free") || t.is("min") || t.is("max") || t.is("local_as")) {
    unsupported(t, fmt::format("BGP option '{}'", t.text));
  } else {
    syntax_error(t);
  }
  end_statement();
}

// ---- the bpfrouter block ----------------------------------------------------------------

void Parser::parse_fast_path() {
  FastPathConfig& f = config_.fast_path;
  if (f.present)
    fail(peek(), "Only one bpfrouter block is allowed");
  f.present = true;
  expect("{");
  auto on_off = [&]() {
    Token v = next();
    if (v.is("on") || v.is("yes") || v.is("true"))
      return true;
    if (v.is("off") || v.is("no") || v.is("false"))
      return false;
    syntax_error(v);
  };

  while (!accept("}")) {
    Token t = next();
    if (t.is("pin")) {
      expect("root");
      Token at = peek();
      f.pin_root = parse_string();
      if (f.pin_root.empty() || f.pin_root[0] != '/')
        fail(at, "Pin root must be an absolute path");
    } else if (t.is("interface")) {
      parse_fast_path_interface(f);
      continue;
    } else if (t.is("bogons")) {
      expect("{");
      while (!accept("}")) {
        Token b = next();
        bool* field = b.is("invalid")         ? &f.bogons.invalid
                      : b.is("own")           ? &f.bogons.own
                      : b.is("documentation") ? &f.bogons.documentation
                      : b.is("private")       ? &f.bogons.private_
                      : b.is("unallocated")   ? &f.bogons.unallocated
                                              : nullptr;
        if (!field)
          syntax_error(b);
        *field = on_off();
        end_statement();
      }
    } else if (t.is("source") || t.is("destination")) {
      Token what = next();
      bool src = t.is("source");
      std::vector<Prefix>* list = nullptr;
      if (what.is("allow"))
        list = src ? &f.lists.source_allow : &f.lists.destination_allow;
      else if (what.is("drop"))
        list = src ? &f.lists.source_drop : &f.lists.destination_drop;
      else
        syntax_error(what);
      auto more = parse_prefix_list();
      list->insert(list->end(), more.begin(), more.end());
    } else if (t.is("no")) {
      expect("route");
      Token a = next();
      if (a.is("pass"))
        f.no_route = FastPathConfig::NoRoute::pass;
      else if (a.is("drop"))
        f.no_route = FastPathConfig::NoRoute::drop;
      else
        syntax_error(a);
    } else if (t.is("firewall")) {
      Token what = next();
      if (what.is("respect")) {
        f.firewall_respect = on_off();
      } else if (what.is("ignore")) {
        // "family table chain" or "family table chain handle N", as the daemon's log names them
        do
          f.firewall_ignore.push_back(parse_string());
        while (accept(","));
      } else {
        syntax_error(what);
      }
    } else if (t.is("stale")) {
      expect("after");
      f.stale_after = parse_number();
    } else if (t.is("leave")) {
      expect("running");
      f.leave_running = on_off();
    } else if (t.is("fast")) {
      expect("lookup");
      f.fast_lookup = on_off();
    } else if (t.is("metrics")) {
      MetricsConfig m;
      if (accept("off")) {
        f.metrics.reset();
        end_statement();
        continue;
      }
      expect("{");
      while (!accept("}")) {
        Token o = next();
        if (o.is("address")) {
          m.address = parse_address();
        } else if (o.is("port")) {
          Token at = peek();
          uint32_t port = parse_number();
          if (port == 0 || port > 65535)
            fail(at, "Port must be in range 1-65535");
          m.port = uint16_t(port);
        } else if (o.is("label")) {
          expect("limit");
          m.label_limit = parse_number();
        } else {
          syntax_error(o);
        }
        end_statement();
      }
      f.metrics = m;
    } else if (t.is("counters")) {
      expect("{");
      while (!accept("}")) {
        Token o = next();
        if (o.is("max")) {
          expect("prefixes");
          Token at = peek();
          f.counters.max_prefixes = parse_number();
          if (f.counters.max_prefixes >= max_counter_slots)
            fail(at, fmt::format("At most {} prefixes can have counters",
                                 max_counter_slots - 1));
        } else if (o.is("min")) {
          expect("length");
          Token fam = next();
          if (!fam.is("v4") && !fam.is("v6"))
            syntax_error(fam);
          Token at = peek();
          uint32_t len = parse_number();
          if (len > (fam.is("v4") ? 32u : 128u))
            fail(at, "Invalid prefix length");
          (fam.is("v4") ? f.counters.min_length_v4 : f.counters.min_length_v6) = uint8_t(len);
        } else {
          syntax_error(o);
        }
        end_statement();
      }
    } else {
      syntax_error(t);
    }
    end_statement();
  }
}

void Parser::parse_fast_path_interface(FastPathConfig& f) {
  FastPathInterface i;
  i.where = peek().where;
  i.glob = parse_string();
  expect("{");
  while (!accept("}")) {
    Token o = next();
    Token v = next();
    using I = FastPathInterface;
    if (o.is("role")) {
      if (v.is("upstream"))
        i.role = I::Role::upstream;
      else if (v.is("internal"))
        i.role = I::Role::internal;
      else
        syntax_error(v);
    } else if (o.is("kind")) {
      if (v.is("ethernet"))
        i.kind = I::Kind::ethernet;
      else if (v.is("l3"))
        i.kind = I::Kind::l3;
      else if (v.is("dummy"))
        i.kind = I::Kind::dummy;
      else
        syntax_error(v);
    } else if (o.is("mode")) {
      if (v.is("native"))
        i.mode = I::Mode::native;
      else if (v.is("generic") || v.is("skb"))
        i.mode = I::Mode::generic;
      else if (v.is("off"))
        i.mode = I::Mode::off;
      else
        syntax_error(v);
    } else if (o.is("urpf")) {
      if (v.is("off"))
        i.urpf = I::Urpf::off;
      else if (v.is("loose"))
        i.urpf = I::Urpf::loose;
      else if (v.is("strict"))
        i.urpf = I::Urpf::strict;
      else
        syntax_error(v);
    } else {
      syntax_error(o);
    }
    end_statement();
  }
  end_statement();
  f.interfaces.push_back(std::move(i));
}

// `[ P, P, ... ]` or a single prefix; plain prefixes only (these go into LPM tries).
std::vector<Prefix> Parser::parse_prefix_list() {
  std::vector<Prefix> out;
  if (!accept("[")) {
    out.push_back(parse_prefix());
    return out;
  }
  if (accept("]"))
    return out;
  do {
    out.push_back(parse_prefix());
  } while (accept(","));
  expect("]");
  return out;
}

// ---- model helpers ----------------------------------------------------------------------

const FastPathInterface* FastPathConfig::interface(const std::string& ifname) const {
  for (auto& i : interfaces)
    if (fnmatch(i.glob.c_str(), ifname.c_str(), 0) == 0)
      return &i;
  return nullptr;
}

const ProtocolCommon* Config::protocol(const std::string& name) const {
  auto find = [&](auto& list) -> const ProtocolCommon* {
    for (auto& p : list)
      if (p.name == name)
        return &p;
    return nullptr;
  };
  if (auto p = find(device))
    return p;
  if (auto p = find(direct))
    return p;
  if (auto p = find(statics))
    return p;
  if (auto p = find(kernel))
    return p;
  return find(bgp);
}

Config parse_config_file(const std::string& path) {
  Lexer lexer(path);
  Parser parser(lexer);
  return parser.parse_file();
}

Config parse_config_text(std::string_view text, const std::string& name) {
  Lexer lexer(text, name);
  Parser parser(lexer);
  return parser.parse_file();
}

}  // namespace bpfr::config
