#include "bgp/mrt.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace bpfr::bgp {

namespace {

constexpr uint16_t kBgp4mp = 16;
constexpr uint16_t kBgp4mpEt = 17;  // extended timestamp: 4 more octets of microseconds

bool is_message_subtype(uint16_t subtype) {
  return subtype == 1 || subtype == 4 || subtype == 6 || subtype == 7;
}

bool is_as4_subtype(uint16_t subtype) {
  return subtype == 4 || subtype == 7;
}

// RFC 6396 4.4.2: peer AS, local AS, interface index, AFI, peer and local address, message.
std::optional<MrtMessage> parse_bgp4mp(Reader& body, uint16_t subtype, uint32_t timestamp) {
  MrtMessage m;
  m.timestamp = timestamp;
  m.four_octet_as = is_as4_subtype(subtype);
  size_t as_size = m.four_octet_as ? 4 : 2;
  auto peer_as = body.bytes(as_size);
  if (!peer_as || !body.bytes(as_size) || !body.u16())  // local AS, interface index
    return std::nullopt;
  for (uint8_t b : *peer_as)
    m.peer_as = m.peer_as << 8 | b;
  auto afi = body.u16();
  if (!afi || (*afi != 1 && *afi != 2))
    return std::nullopt;
  Family family = *afi == 1 ? Family::v4 : Family::v6;
  size_t size = family == Family::v4 ? 4 : 16;
  auto peer = body.bytes(size);
  if (!peer || !body.bytes(size))
    return std::nullopt;
  m.peer = Address::from_bytes(family, *peer);
  m.bytes = body.rest();
  return m;
}

}  // namespace

std::optional<MrtMessage> MrtReader::next() {
  while (!reader_.empty()) {
    auto timestamp = reader_.u32();
    auto type = reader_.u16();
    auto subtype = reader_.u16();
    auto length = reader_.u32();
    if (!length)
      return std::nullopt;
    auto body = reader_.sub(*length);
    if (!body)
      return std::nullopt;
    if ((*type != kBgp4mp && *type != kBgp4mpEt) || !is_message_subtype(*subtype))
      continue;
    if (*type == kBgp4mpEt && !body->u32())
      continue;
    if (auto m = parse_bgp4mp(*body, *subtype, *timestamp))
      return m;
  }
  return std::nullopt;
}

std::vector<uint8_t> read_mrt_file(const std::string& path) {
  auto ends_with = [&](const char* suffix) {
    std::string s(suffix);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  std::vector<uint8_t> out;
  if (!ends_with(".gz") && !ends_with(".bz2")) {
    std::ifstream f(path, std::ios::binary);
    out.assign(std::istreambuf_iterator<char>(f), {});
    return out;
  }
  std::string cmd = std::string(ends_with(".gz") ? "gzip" : "bzip2") + " -dc '" + path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.insert(out.end(), buf, buf + n);
  pclose(p);
  return out;
}

DecodeBenchmark benchmark_decode(std::span<const MrtMessage> messages, unsigned rounds) {
  DecodeBenchmark b;
  auto start = std::chrono::steady_clock::now();
  for (unsigned round = 0; round < rounds; round++) {
    for (const auto& m : messages) {
      DecodeContext ctx;
      ctx.four_octet_as = m.four_octet_as;
      ctx.extended_message = true;
      auto res = decode_message(m.bytes, ctx);
      b.messages++;
      if (!res.ok()) {
        b.errors++;
        continue;
      }
      const auto* u = std::get_if<Update>(&*res.message);
      if (!u)
        continue;
      b.updates++;
      b.prefixes += u->nlri.size() + u->withdrawn.size() +
                    (u->mp_reach ? u->mp_reach->nlri.size() : 0) +
                    (u->mp_unreach ? u->mp_unreach->withdrawn.size() : 0);
      if (!u->issues.empty())
        b.with_issues++;
    }
  }
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return b;
}

}  // namespace bpfr::bgp
