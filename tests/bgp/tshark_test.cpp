// Cross-check against Wireshark's BGP dissector (tshark 4.0) over every capture in
// ../shared/data/pcap (origins in its README.txt). For each BGP message tshark finds, its raw
// bytes go through our decoder and both decodes are compared field by field: every attribute
// and every NLRI of IPv4/IPv6 unicast. Families we do not carry must come back marked
// unsupported; ADD-PATH, ORF and messages tshark itself calls malformed must yield a clean error
// or an RFC 7606 action, never a crash. Our own reassembly of the TCP streams must find the same
// messages tshark found.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "bgp/message.h"
#include "hex.h"

namespace bpfr::bgp {
namespace {

using Json = nlohmann::ordered_json;
using Lines = std::vector<std::string>;

const std::filesystem::path kPcapDir =
    std::filesystem::path(BPFR_SOURCE_DIR) / "../shared/data/pcap";

std::vector<std::string> capture_files() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kPcapDir, ec))
    if (e.is_regular_file() && e.path().extension() != ".txt")
      out.push_back(std::filesystem::relative(e.path(), kPcapDir).string());
  std::sort(out.begin(), out.end());
  return out;
}

bool is_fuzz_repro(const std::string& file) {
  for (const char* tag : {"oobr", "infinite-loop", "-ub.", "malformed", "invalid"})
    if (file.find(tag) != std::string::npos)
      return true;
  return false;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  pclose(p);
  return out;
}

// tshark numbers as text, decimal or 0x-hex; 0 for anything else (fuzzed captures).
uint64_t num(const std::string& text) {
  try {
    return std::stoull(text, nullptr, 0);
  } catch (...) {
    return 0;
  }
}

// --- walking tshark's JSON -----------------------------------------------------------------

// Every value stored under `key` anywhere below `node`, arrays flattened, in document order.
void collect(const Json& node, const std::string& key, std::vector<const Json*>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == key) {
        if (it.value().is_array())
          for (const auto& v : it.value())
            out.push_back(&v);
        else
          out.push_back(&it.value());
      }
      collect(it.value(), key, out);
    }
  } else if (node.is_array()) {
    for (const auto& v : node)
      collect(v, key, out);
  }
}

std::vector<std::string> strings(const Json& node, const std::string& key) {
  std::vector<const Json*> found;
  collect(node, key, found);
  std::vector<std::string> out;
  for (const auto* v : found) {
    if (v->is_string())
      out.push_back(v->get<std::string>());
    else if (v->is_array() && !v->empty() && (*v)[0].is_string())  // a _raw field
      out.push_back((*v)[0].get<std::string>());
  }
  return out;
}

std::string first(const Json& node, const std::string& key) {
  auto v = strings(node, key);
  return v.empty() ? "" : v.front();
}

std::vector<const Json*> as_list(const Json& v) {
  std::vector<const Json*> out;
  if (v.is_array())
    for (const auto& e : v)
      out.push_back(&e);
  else
    out.push_back(&v);
  return out;
}

// Prefixes below `node`: objects holding `key` (the address) and bgp.prefix_length.
std::vector<std::string> prefixes(const Json& node, const std::string& key) {
  std::vector<std::string> out;
  auto visit = [&](auto&& self, const Json& n) -> void {
    if (n.is_object()) {
      if (n.contains(key) && n.contains("bgp.prefix_length") && n[key].is_string()) {
        auto addr = Address::parse(n[key].get<std::string>());
        auto len = num(n["bgp.prefix_length"].get<std::string>());
        out.push_back(addr ? Prefix::make(*addr, unsigned(len)).str() : "unparsable");
        return;
      }
      for (const auto& [k, v] : n.items())
        self(self, v);
    } else if (n.is_array()) {
      for (const auto& v : n)
        self(self, v);
    }
  };
  visit(visit, node);
  return out;
}

// Does tshark flag anything in this message as a warning or an error?
bool tshark_complains(const Json& msg) {
  for (const auto& sev : strings(msg, "_ws.expert.severity"))
    if (num(sev) >= 6291456)  // PI_WARN
      return true;
  std::vector<const Json*> malformed;
  collect(msg, "_ws.malformed", malformed);
  return !malformed.empty();
}

AsPath as_path_of(const Json& attribute) {
  AsPath p;
  std::vector<const Json*> segs;
  collect(attribute, "bgp.update.path_attribute.as_path_segment", segs);
  for (const auto* s : segs) {
    AsSegment seg;
    seg.type = SegmentType(num(first(*s, "bgp.update.path_attribute.as_path_segment.type")));
    for (const char* k : {"bgp.update.path_attribute.as_path_segment.as2",
                          "bgp.update.path_attribute.as_path_segment.as4"})
      for (const auto& asn : strings(*s, k))
        seg.asns.push_back(uint32_t(num(asn)));
    p.segments.push_back(seg);
  }
  return p;
}

std::vector<uint32_t> flat(const AsPath& p) {
  std::vector<uint32_t> out;
  for (const auto& s : p.segments)
    out.insert(out.end(), s.asns.begin(), s.asns.end());
  return out;
}

// --- the two summaries ---------------------------------------------------------------------

struct TsharkView {
  Lines lines;
  bool add_path = false;
  bool orf = false;
  bool bgpsec = false;  // BGPsec_PATH instead of AS_PATH (RFC 8205): not negotiated by us
  bool four_octet_as = false;
  std::optional<AsPath> as_path_2;  // AS_PATH as sent, when AS4_PATH is also there
  std::optional<AsPath> as4_path;
};

void tshark_mp(const Json& a, const char* which, Lines& l) {
  std::string base = std::string("bgp.update.path_attribute.") + which;
  auto afi = first(a, base + ".afi");
  auto safi = first(a, base + ".safi");
  AfiSafi as{uint16_t(num(afi)), uint8_t(num(safi))};
  auto family = family_of(as);
  l.push_back(fmt::format("{} {}{}", which, as, family ? "" : " unsupported"));
  if (!family)
    return;
  std::string v = family == Family::v4 ? "ipv4" : "ipv6";
  if (std::string(which) == "mp_reach_nlri") {
    for (const auto& nh : strings(a, base + ".next_hop." + v))
      l.push_back("mp_reach next hop " + Address::parse(nh).value_or(Address{}).str());
    for (const auto& ll : strings(a, base + ".next_hop.ipv6.link_local"))
      l.push_back("mp_reach link-local " + Address::parse(ll).value_or(Address{}).str());
  }
  auto list = prefixes(a, std::string("bgp.") + which + "_" + v + "_prefix");
  for (size_t i = 0; i < list.size(); i++)
    l.push_back(fmt::format("{}[{}] {}", which, i, list[i]));
}

void tshark_attribute(const Json& a, TsharkView& v) {
  Lines& l = v.lines;
  auto type = num(first(a, "bgp.update.path_attribute.type_code"));
  auto flags = num(first(a, "bgp.update.path_attribute.flags"));
  const std::string p = "bgp.update.path_attribute.";
  switch (type) {
    case attr::origin:
      l.push_back("origin " + first(a, p + "origin"));
      break;
    case attr::as_path: {
      AsPath path = as_path_of(a);
      v.as_path_2 = path;
      l.push_back("as_path " + path.str());
      break;
    }
    case attr::next_hop:
      l.push_back("next_hop " + first(a, p + "next_hop"));
      break;
    case attr::med:
      l.push_back("med " + first(a, p + "multi_exit_disc"));
      break;
    case attr::local_pref:
      l.push_back("local_pref " + first(a, p + "local_pref"));
      break;
    case attr::atomic_aggregate:
      l.push_back("atomic_aggregate");
      break;
    case attr::aggregator:
      l.push_back("aggregator " + first(a, p + "aggregator_as") + " " +
                  first(a, p + "aggregator_origin"));
      break;
    case attr::communities: {
      auto as = strings(a, p + "community_as");
      auto val = strings(a, p + "community_value");
      auto raw = strings(a, p + "community_raw");
      if (raw.size() > as.size()) {
        for (const auto& r : raw)
          l.push_back(fmt::format("community {}:{}", num("0x" + r.substr(0, 4)),
                                  num("0x" + r.substr(4, 4))));
      } else {
        for (size_t i = 0; i < as.size() && i < val.size(); i++)
          l.push_back("community " + as[i] + ":" + val[i]);
      }
      break;
    }
    case attr::originator_id:
      l.push_back("originator_id " + first(a, p + "originator_id"));
      break;
    case attr::cluster_list:
      for (const auto& c : strings(a, "bgp.path_attribute.cluster_id"))
        l.push_back("cluster " + c);
      break;
    case attr::mp_reach:
      tshark_mp(a, "mp_reach_nlri", l);
      break;
    case attr::mp_unreach:
      tshark_mp(a, "mp_unreach_nlri", l);
      break;
    case attr::ext_communities:
      for (const auto& raw : strings(a, "bgp.ext_community_raw"))
        l.push_back("ext_community " + raw);
      break;
    case attr::as4_path:
      v.as4_path = as_path_of(a);
      break;
    case attr::as4_aggregator:
      break;  // merged into AGGREGATOR; checked by as4_test
    case attr::large_communities: {
      auto ga = strings(a, "bgp.large_communities.ga");
      auto l1 = strings(a, "bgp.large_communities.ldp1");
      auto l2 = strings(a, "bgp.large_communities.ldp2");
      for (size_t i = 0; i < ga.size(); i++)
        l.push_back("large_community " + ga[i] + ":" + l1[i] + ":" + l2[i]);
      break;
    }
    default:
      if ((flags & 0xc0) == 0xc0)
        l.push_back(fmt::format("unknown {} length {}", type,
                                first(a, "bgp.update.path_attribute.length")));
      break;
  }
}

void tshark_open(const Json& m, Lines& l) {
  l.push_back("open version " + first(m, "bgp.open.version") + " as " + first(m, "bgp.open.myas") +
              " hold " + first(m, "bgp.open.holdtime") + " id " + first(m, "bgp.open.identifier"));
  std::set<std::string> caps;
  for (const auto& c : strings(m, "bgp.cap.type"))
    caps.insert("cap " + std::to_string(c == "128" ? 2 : num(c)));
  auto afi = strings(m, "bgp.cap.mp.afi");
  auto safi = strings(m, "bgp.cap.mp.safi");
  for (size_t i = 0; i < afi.size() && i < safi.size(); i++)
    caps.insert("mp " + afi[i] + "/" + safi[i]);
  for (const auto& as : strings(m, "bgp.cap.4as"))
    caps.insert("as4 " + as);
  for (const auto& t : strings(m, "bgp.cap.gr.timers.restart_time"))
    caps.insert("gr time " + t + " r " + first(m, "bgp.cap.gr.timers.restart_flag") + " n " +
                first(m, "bgp.cap.gr.timers.notification_flag"));
  auto gafi = strings(m, "bgp.cap.gr.afi");
  auto gsafi = strings(m, "bgp.cap.gr.safi");
  auto gflag = strings(m, "bgp.cap.gr.flag");
  for (size_t i = 0; i < gafi.size() && i < gsafi.size() && i < gflag.size(); i++)
    caps.insert("gr family " + gafi[i] + "/" + gsafi[i] + " f " +
                std::to_string((num(gflag[i]) & 0x80) != 0));
  l.insert(l.end(), caps.begin(), caps.end());
}

TsharkView tshark_view(const Json& m) {
  TsharkView v;
  v.lines.push_back("type " + first(m, "bgp.type"));
  auto type = num(first(m, "bgp.type"));
  if (type == 1) {
    tshark_open(m, v.lines);
  } else if (type == 2) {
    v.add_path = !strings(m, "bgp.nlri_path_id").empty();
    auto wd = prefixes(m, "bgp.withdrawn_prefix");
    for (size_t i = 0; i < wd.size(); i++)
      v.lines.push_back(fmt::format("withdrawn[{}] {}", i, wd[i]));
    std::vector<const Json*> attrs;
    if (m.contains("bgp.update.path_attributes") &&
        m["bgp.update.path_attributes"].contains("bgp.update.path_attribute"))
      attrs = as_list(m["bgp.update.path_attributes"]["bgp.update.path_attribute"]);
    for (const auto* a : attrs) {
      if (!a->is_object())
        continue;
      tshark_attribute(*a, v);
      if (first(*a, "bgp.update.path_attribute.type_code") == "33")
        v.bgpsec = true;
      for (const auto& seg_as4 : strings(*a, "bgp.update.path_attribute.as_path_segment.as4"))
        if (first(*a, "bgp.update.path_attribute.type_code") == "2" && !seg_as4.empty())
          v.four_octet_as = true;
      if (first(*a, "bgp.update.path_attribute.type_code") == "7" &&
          first(*a, "bgp.update.path_attribute.length") == "8")
        v.four_octet_as = true;
    }
    auto nlri = prefixes(m, "bgp.nlri_prefix");
    for (size_t i = 0; i < nlri.size(); i++)
      v.lines.push_back(fmt::format("nlri[{}] {}", i, nlri[i]));
  } else if (type == 3) {
    std::string minor;
    for (const auto& [k, val] : m.items())
      if (k.rfind("bgp.notify.minor_error", 0) == 0 && val.is_string() &&
          k.find("_raw") == std::string::npos)
        minor = val.get<std::string>();
    v.lines.push_back("notification " + first(m, "bgp.notify.major_error") + "/" + minor);
    if (auto text = strings(m, "bgp.notify.communication"); !text.empty())
      v.lines.push_back("shutdown communication " + text.front());
    if (minor == "9" && !strings(m, "bgp.notify.minor_data").empty())
      v.lines.push_back("hard reset cause " + first(m, "bgp.notify.minor_data"));
  } else if (type == 5) {
    v.orf = !strings(m, "bgp.route_refresh.orf.type").empty();
    v.lines.push_back("route_refresh " + first(m, "bgp.route_refresh.afi") + " " +
                      first(m, "bgp.route_refresh.subtype") + " " +
                      first(m, "bgp.route_refresh.safi"));
  }
  if (type == 2 && v.as4_path)
    std::erase_if(v.lines, [](const std::string& s) { return s.rfind("as_path ", 0) == 0; });
  std::sort(v.lines.begin(), v.lines.end());
  return v;
}

void our_mp_reach(const MpReach& mp, Lines& l) {
  l.push_back(fmt::format("mp_reach_nlri {}{}", mp.afi_safi, mp.supported ? "" : " unsupported"));
  if (!mp.supported)
    return;
  l.push_back("mp_reach next hop " + mp.next_hop.str());
  if (mp.link_local)
    l.push_back("mp_reach link-local " + mp.link_local->str());
  for (size_t i = 0; i < mp.nlri.size(); i++)
    l.push_back(fmt::format("mp_reach_nlri[{}] {}", i, mp.nlri[i]));
}

void our_update(const Update& u, bool as4_merged, Lines& l) {
  for (size_t i = 0; i < u.withdrawn.size(); i++)
    l.push_back(fmt::format("withdrawn[{}] {}", i, u.withdrawn[i]));
  const auto& a = u.attrs;
  if (a.origin)
    l.push_back(fmt::format("origin {}", int(*a.origin)));
  if (a.as_path && !as4_merged)
    l.push_back("as_path " + a.as_path->str());
  if (a.next_hop)
    l.push_back("next_hop " + a.next_hop->str());
  if (a.med)
    l.push_back(fmt::format("med {}", *a.med));
  if (a.local_pref)
    l.push_back(fmt::format("local_pref {}", *a.local_pref));
  if (a.atomic_aggregate)
    l.push_back("atomic_aggregate");
  if (a.aggregator && !as4_merged)
    l.push_back(fmt::format("aggregator {} {}", a.aggregator->asn, a.aggregator->address));
  for (uint32_t c : a.communities)
    l.push_back(fmt::format("community {}:{}", c >> 16, c & 0xffff));
  if (a.originator_id)
    l.push_back("originator_id " + Address::v4(*a.originator_id).str());
  for (uint32_t c : a.cluster_list)
    l.push_back("cluster " + Address::v4(c).str());
  if (u.mp_reach)
    our_mp_reach(*u.mp_reach, l);
  if (u.mp_unreach) {
    const auto& mp = *u.mp_unreach;
    l.push_back(
        fmt::format("mp_unreach_nlri {}{}", mp.afi_safi, mp.supported ? "" : " unsupported"));
    for (size_t i = 0; i < mp.withdrawn.size(); i++)
      l.push_back(fmt::format("mp_unreach_nlri[{}] {}", i, mp.withdrawn[i]));
  }
  for (uint64_t c : a.ext_communities)
    l.push_back(fmt::format("ext_community {:016x}", c));
  for (const auto& c : a.large_communities)
    l.push_back(fmt::format("large_community {}:{}:{}", c.global, c.local1, c.local2));
  for (const auto& r : a.unknown)
    l.push_back(fmt::format("unknown {} length {}", r.type, r.value.size()));
  for (size_t i = 0; i < u.nlri.size(); i++)
    l.push_back(fmt::format("nlri[{}] {}", i, u.nlri[i]));
}

Lines our_view(const Message& msg, bool as4_merged) {
  Lines l;
  if (const auto* o = std::get_if<Open>(&msg)) {
    l.push_back("type 1");
    l.push_back(fmt::format("open version {} as {} hold {} id {}", o->version, o->my_as,
                            o->hold_time, Address::v4(o->bgp_id)));
    std::set<std::string> caps;
    const auto& c = o->caps;
    for (const auto& mp : c.multiprotocol) {
      caps.insert("cap 1");
      caps.insert(fmt::format("mp {}/{}", mp.afi, mp.safi));
    }
    if (c.route_refresh)
      caps.insert("cap 2");
    if (c.enhanced_route_refresh)
      caps.insert("cap 70");
    if (c.extended_message)
      caps.insert("cap 6");
    if (c.four_octet_as) {
      caps.insert("cap 65");
      caps.insert(fmt::format("as4 {}", *c.four_octet_as));
    }
    if (const auto& gr = c.graceful_restart) {
      caps.insert("cap 64");
      caps.insert(fmt::format("gr time {} r {} n {}", gr->restart_time, int(gr->restarting),
                              int(gr->notification)));
      for (const auto& f : gr->families)
        caps.insert(fmt::format("gr family {}/{} f {}", f.afi_safi.afi, f.afi_safi.safi,
                                int(f.forwarding_preserved)));
    }
    for (const auto& u : c.unknown)
      caps.insert(fmt::format("cap {}", u.code));
    l.insert(l.end(), caps.begin(), caps.end());
  } else if (const auto* u = std::get_if<Update>(&msg)) {
    l.push_back("type 2");
    our_update(*u, as4_merged, l);
  } else if (const auto* n = std::get_if<Notification>(&msg)) {
    l.push_back("type 3");
    l.push_back(fmt::format("notification {}/{}", n->code, n->subcode));
    if (auto text = shutdown_communication(*n); text && n->data.size() == text->size() + 1)
      l.push_back("shutdown communication " + *text);
    if (auto cause = hard_reset_cause(*n))
      l.push_back(fmt::format("hard reset cause {:02x}:{:02x}", cause->code, cause->subcode));
  } else if (std::holds_alternative<Keepalive>(msg)) {
    l.push_back("type 4");
  } else if (const auto* r = std::get_if<RouteRefresh>(&msg)) {
    l.push_back("type 5");
    l.push_back(
        fmt::format("route_refresh {} {} {}", r->afi_safi.afi, r->subtype, r->afi_safi.safi));
  }
  std::sort(l.begin(), l.end());
  return l;
}

// --- our own reassembly of the TCP streams ---------------------------------------------------

struct Segment {
  uint64_t seq;
  std::vector<uint8_t> payload;
};

// BGP messages found by splitting each direction's byte stream on the 19-byte header.
std::map<std::string, std::vector<std::string>> reassemble(
    const std::map<std::string, std::vector<Segment>>& directions) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [dir, segments] : directions) {
    std::map<uint64_t, std::vector<uint8_t>> by_seq;
    for (const auto& s : segments)
      by_seq.emplace(s.seq, s.payload);  // first copy wins; retransmissions dropped
    // Contiguous runs of bytes; after a gap in the capture, start again at the next segment
    // (as Wireshark does when a segment begins with a BGP header).
    std::vector<std::vector<uint8_t>> runs;
    uint64_t next = 0;
    for (const auto& [seq, data] : by_seq) {
      if (runs.empty() || seq > next) {
        runs.emplace_back();
        next = seq;
      }
      if (seq + data.size() <= next)
        continue;
      runs.back().insert(runs.back().end(), data.begin() + long(next - seq), data.end());
      next = seq + data.size();
    }
    DecodeContext ctx;
    ctx.extended_message = true;
    for (const auto& run_bytes : runs) {
      std::span<const uint8_t> rest(run_bytes);
      while (true) {
        Frame f = peek_frame(rest, ctx);
        if (f.error || f.length == 0 || f.length > rest.size())
          break;
        out[dir].push_back(test::to_hex(rest.first(f.length)));
        rest = rest.subspan(f.length);
      }
    }
  }
  return out;
}

// --- the test ------------------------------------------------------------------------------

class Tshark : public testing::TestWithParam<std::string> {};

struct Tally {
  size_t compared = 0, unsupported = 0, clean_errors = 0, issues = 0, tshark_only_complaints = 0;
};

TEST_P(Tshark, DecodeMatchesWireshark) {
  if (run("command -v tshark").empty())
    GTEST_SKIP() << "tshark not installed";
  const std::string file = GetParam();
  const bool fuzz = is_fuzz_repro(file);
  std::string text = run("tshark -r '" + (kPcapDir / file).string() +
                         "' -d tcp.port==1179,bgp -T json --no-duplicate-keys -x -J 'tcp bgp' "
                         "2>/dev/null");
  Json packets = Json::parse(text, nullptr, false);
  ASSERT_FALSE(packets.is_discarded()) << "tshark output is not JSON";

  Tally tally;
  std::map<std::string, std::vector<Segment>> directions;
  std::map<std::string, std::vector<std::string>> tshark_messages;

  size_t frame = 0;
  for (const auto& p : packets) {
    frame++;
    const auto& layers = p["_source"]["layers"];
    const bool packet_malformed = layers.contains("_ws.malformed");
    std::string dir;
    if (layers.contains("tcp")) {
      const auto& tcp = layers["tcp"];
      dir = first(tcp, "tcp.stream") + ":" + first(tcp, "tcp.srcport");
      auto payload = strings(tcp, "tcp.payload_raw");
      if (!payload.empty() && tcp.contains("tcp.seq"))
        directions[dir].push_back(
            {num(tcp["tcp.seq"].get<std::string>()), test::from_hex(payload.front())});
    }
    if (!layers.contains("bgp") || !layers.contains("bgp_raw"))
      continue;
    auto msgs = as_list(layers["bgp"]);
    const Json& raw_field = layers["bgp_raw"];
    std::vector<const Json*> raws;
    if (raw_field.is_array() && !raw_field.empty() && raw_field[0].is_array())
      raws = as_list(raw_field);
    else
      raws.push_back(&raw_field);

    for (size_t i = 0; i < msgs.size() && i < raws.size(); i++) {
      const Json& m = *msgs[i];
      if (!m.is_object() || !m.contains("bgp.type") || !(*raws[i])[0].is_string())
        continue;
      std::string raw_hex = (*raws[i])[0].get<std::string>();
      tshark_messages[dir].push_back(raw_hex);
      auto bytes = test::from_hex(raw_hex);
      TsharkView theirs = tshark_view(m);

      DecodeContext ctx;
      ctx.four_octet_as = theirs.four_octet_as;
      ctx.extended_message = true;
      ctx.external = false;
      ctx.reject_as_set = false;
      auto res = decode_message(bytes, ctx);
      SCOPED_TRACE(
          fmt::format("{} frame {} message {}: {}", file, frame, i, raw_hex.substr(0, 120)));
      const bool complains = tshark_complains(m) || (packet_malformed && i + 1 == msgs.size());
      if (!res.ok()) {
        // A clean error: a NOTIFICATION code, a description naming what was wrong.
        EXPECT_NE(res.error.code, 0);
        EXPECT_FALSE(res.error.description.empty());
        tally.clean_errors++;
        bool expected = fuzz || complains || theirs.add_path ||
                        (theirs.orf && res.error.code == err::route_refresh);
        EXPECT_TRUE(expected) << "we reject what tshark accepts: " << res.error.description;
        continue;
      }
      const auto* u = std::get_if<Update>(&*res.message);
      if (u && !u->issues.empty())
        tally.issues++;
      const auto* n = std::get_if<Notification>(&*res.message);
      if (n && n->code == err::cease && n->subcode == 9 && !hard_reset_cause(*n))
        tally.clean_errors++;  // RFC 8538 data too short: hard_reset_cause() refuses it
      if (theirs.add_path) {
        tally.unsupported++;
        continue;  // ADD-PATH is not negotiated by bpfrouter: such NLRI are not ours to read
      }
      if (fuzz || complains) {
        tally.tshark_only_complaints++;
        continue;
      }
      if (u && (u->mp_reach && !u->mp_reach->supported))
        tally.unsupported++;

      bool as4_merged = theirs.as4_path.has_value() && !ctx.four_octet_as;
      EXPECT_EQ(our_view(*res.message, as4_merged), theirs.lines);
      if (u && u->issues.size() && !theirs.bgpsec)
        ADD_FAILURE() << "RFC 7606 issue on a message tshark accepts: "
                      << u->issues.front().error.description;
      if (theirs.bgpsec) {
        // Without AS_PATH the route cannot be used by a non-BGPsec speaker: treat-as-withdraw.
        EXPECT_TRUE(u && u->treat_as_withdraw);
        tally.unsupported++;
      }
      if (as4_merged && theirs.as_path_2 && u && u->attrs.as_path) {
        // RFC 6793 4.2.3: the merged path keeps the AS_PATH length and ends with AS4_PATH.
        auto merged = flat(*u->attrs.as_path);
        auto tail = flat(*theirs.as4_path);
        EXPECT_EQ(u->attrs.as_path->length(), theirs.as_path_2->length());
        ASSERT_GE(merged.size(), tail.size());
        EXPECT_TRUE(std::equal(tail.rbegin(), tail.rend(), merged.rbegin()));
      }
      tally.compared++;
    }
  }

  // Our reassembly finds the messages tshark found, in the same order, for each direction.
  auto ours = reassemble(directions);
  if (!fuzz) {
    for (const auto& [dir, list] : tshark_messages) {
      SCOPED_TRACE("stream:port " + dir);
      std::vector<std::string> mine = ours[dir];
      if (mine.size() > list.size())
        mine.resize(list.size());
      EXPECT_EQ(mine, list);
    }
  }

  RecordProperty("compared", int(tally.compared));
  if (fuzz)
    EXPECT_GT(tally.clean_errors + tally.issues + tally.unsupported, 0u)
        << "a fuzz repro decoded without a single complaint";
  else
    EXPECT_GT(
        tally.compared + tally.unsupported + tally.clean_errors + tally.tshark_only_complaints, 0u)
        << "no BGP found";
}

INSTANTIATE_TEST_SUITE_P(Captures, Tshark, testing::ValuesIn(capture_files()), [](const auto& p) {
  std::string name = p.param;
  for (char& c : name)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
});

}  // namespace
}  // namespace bpfr::bgp
