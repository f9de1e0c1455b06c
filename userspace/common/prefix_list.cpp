#include "common/prefix_list.h"

#include <zlib.h>

#include <unordered_set>

namespace bpfr {

namespace {

constexpr size_t kMaxReportedErrors = 5;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

PrefixList read_prefix_list(const std::string& path) {
  PrefixList list;
  gzFile in = gzopen(path.c_str(), "rb");  // reads plain files too
  if (!in) {
    list.errors.push_back(path + ": cannot open");
    return list;
  }

  char line[256];
  for (size_t number = 1; gzgets(in, line, sizeof line); number++) {
    std::string_view text = trim(line);
    if (auto hash = text.find('#'); hash != std::string_view::npos)
      text = trim(text.substr(0, hash));
    if (text.empty())
      continue;

    if (auto p = Prefix::parse(text)) {
      list.prefixes.push_back(*p);
      continue;
    }
    list.bad_lines++;
    if (list.errors.size() < kMaxReportedErrors)
      list.errors.push_back(fmt::format("{}:{}: not a prefix: '{}'", path, number, text));
  }
  gzclose(in);
  return list;
}

void top_up_prefixes(std::vector<Prefix>& prefixes, Family family, size_t target,
                     std::mt19937_64& rng) {
  std::vector<Prefix> bases;
  std::unordered_set<Prefix, PrefixHash> seen;
  for (const auto& p : prefixes)
    if (p.family() == family) {
      bases.push_back(p);
      seen.insert(p);
    }
  if (bases.empty())
    bases.push_back(*Prefix::parse(family == Family::v4 ? "10.0.0.0/24" : "2001:db8::/48"));

  // Real allocations cluster: a new prefix keeps all but the last few bits of a real one's
  // network part, and takes the length of another, so density and length mix stay real.
  while (seen.size() < target) {
    const Prefix& base = bases[rng() % bases.size()];
    unsigned len = bases[rng() % bases.size()].len;
    unsigned shared = std::min(base.len, uint8_t(len));
    unsigned keep = shared > 3 ? shared - 3 : 0;

    Address a = base.addr;
    for (unsigned bit = keep; bit < a.bits(); bit++)
      if (rng() & 1)
        a.bytes[bit / 8] ^= 0x80 >> (bit % 8);

    Prefix p = Prefix::make(a, len);
    if (seen.insert(p).second)
      prefixes.push_back(p);
  }
}

}  // namespace bpfr
