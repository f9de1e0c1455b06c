// Fuzzes what a control-socket client sends: each input line is split into words, parsed as a
// command (with birdc-style abbreviations), dispatched through a Registry whose handlers echo
// the command, and `show route` requests run against a small table. Every reply is written to
// wire form and read back with ReplyDecoder.
//
// With BPFR_FUZZ_STRICT=1 the harness also checks that each reply reads back line for line.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/command.h"
#include "control/registry.h"
#include "control/route_query.h"
#include "fuzz_util.h"

namespace {

using namespace bpfr;
using namespace bpfr::control;

std::vector<RouteTable> sample_tables() {
  RouteTable t4{"master4", {}};
  RouteInfo r;
  r.net = *Prefix::parse("10.0.0.0/8");
  r.table = "master4";
  r.protocol = "static4";
  r.nexthops = {NextHop{Address::parse("192.0.2.1"), "eth0", 1}};
  t4.routes.push_back(r);
  r.net = *Prefix::parse("198.51.100.0/24");
  r.protocol = "upstream1";
  r.info = "[AS64515i]";
  r.attributes = {{"BGP.origin", "IGP"}, {"BGP.as_path", "64515"}};
  t4.routes.push_back(r);
  r.primary = false;
  r.protocol = "upstream2";
  t4.routes.push_back(r);

  RouteTable t6{"master6", {}};
  RouteInfo r6;
  r6.net = *Prefix::parse("2001:db8::/32");
  r6.table = "master6";
  r6.protocol = "upstream1";
  r6.dest = "unreachable";
  t6.routes.push_back(r6);
  return {t4, t6};
}

Reply echo(const Command& cmd) {
  Reply r;
  for (const auto& [keyword, value] : cmd.options)
    r.add(1000, keyword + " " + value);
  if (cmd.argument)
    r.add(1000, *cmd.argument);
  return r.finish(code::ok, cmd.path());
}

Reply show_route_handler(const Command& cmd) {
  static const std::vector<RouteTable> tables = sample_tables();
  auto q = route_query(cmd);
  if (auto* reply = std::get_if<Reply>(&q))
    return *reply;
  return show_route(tables, std::get<RouteQuery>(q), Time{});
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    for (const CommandSpec& spec : command_specs())
      reg.on(spec.path, spec.path == "show route" ? Handler(show_route_handler) : Handler(echo));
    return reg;
  }();
  return r;
}

// The reply as the client would read it.
void read_back(const Reply& reply) {
  ReplyDecoder decoder;
  decoder.feed(reply.wire());
  std::vector<ReplyDecoder::Line> lines;
  while (auto line = decoder.next())
    lines.push_back(*line);
  if (!fuzz::strict())
    return;
  if (!decoder.error().empty())
    fuzz::fail("a reply the server wrote does not read back", decoder.error());
  if (lines.size() != reply.lines().size())
    fuzz::fail("a reply reads back with another number of lines", reply.wire());
  for (size_t i = 0; i < lines.size(); i++)
    if (lines[i].code != reply.lines()[i].code || lines[i].text != reply.lines()[i].text)
      fuzz::fail("a reply line reads back differently", reply.wire());
}

void request(std::string_view line, ClientState& client) {
  auto words = split_words(line);
  if (auto* w = std::get_if<std::vector<Word>>(&words)) {
    size_t consumed = 0;
    (void)find_command(*w, &consumed);
    auto cmd = parse_command(std::span<const Word>(*w));
    if (auto* c = std::get_if<Command>(&cmd)) {
      for (const OptionSpec& o : c->spec->options)
        (void)c->value(o.keyword);
    }
  }
  read_back(registry().dispatch(line, client));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ClientState client;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    request(input.substr(0, nl), client);
    if (nl == std::string_view::npos)
      break;
    input.remove_prefix(nl + 1);
  }
  return 0;
}
