// Prefix lists as text, one CIDR prefix a line ('#' comments), plain or gzip-compressed:
// operators' bogon feeds, the lab's tables, the benchmarks' tables.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "common/ip.h"

namespace bpfr {

struct PrefixList {
  std::vector<Prefix> prefixes;
  std::vector<std::string> errors;  // "FILE:LINE: not a prefix: TEXT", the first few
  size_t bad_lines = 0;
};

PrefixList read_prefix_list(const std::string& path);

// Adds synthetic prefixes of family until there are target of it, near real ones and with
// lengths drawn from those already there (the same length mix), none repeated.
void top_up_prefixes(std::vector<Prefix>& prefixes, Family family, size_t target,
                     std::mt19937_64& rng);

}  // namespace bpfr
