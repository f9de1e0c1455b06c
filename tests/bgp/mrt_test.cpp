// Real UPDATEs from route collectors (../shared/data/mrt): RIPE RIS updates of 2019-01-01 and
// an iBGP session start with a full table. Every message decodes without a session reset, and
// re-encoding the decoded attributes gives back what the peer sent for well-formed UPDATEs.
#include "bgp/mrt.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace bpfr::bgp {
namespace {

const std::filesystem::path kMrtDir = std::filesystem::path(BPFR_SOURCE_DIR) / "../shared/data/mrt";

class Mrt : public testing::TestWithParam<const char*> {};

TEST_P(Mrt, EveryUpdateDecodesAndBenchmarkCountsThem) {
  auto path = kMrtDir / GetParam();
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " missing";
  auto data = read_mrt_file(path);
  ASSERT_FALSE(data.empty());

  std::vector<MrtMessage> messages;
  MrtReader reader(data);
  while (auto m = reader.next())
    messages.push_back(*m);
  ASSERT_GT(messages.size(), 1000u);

  auto bench = benchmark_decode(messages);
  EXPECT_EQ(bench.messages, messages.size());
  EXPECT_EQ(bench.errors, 0u);
  EXPECT_GT(bench.updates, 0u);
  RecordProperty("updates_per_second", int(bench.updates_per_second()));
  std::printf(
      "%s: %zu messages, %zu UPDATEs, %zu prefixes, %zu with RFC 7606 actions, "
      "%.0f UPDATEs/s\n",
      GetParam(), bench.messages, bench.updates, bench.prefixes, bench.with_issues,
      bench.updates_per_second());

  // Round trip: decode, encode with the same AS width, decode again: same UPDATE.
  size_t checked = 0;
  for (const auto& m : messages) {
    DecodeContext ctx;
    ctx.four_octet_as = m.four_octet_as;
    ctx.reject_as_set = false;
    ctx.external = false;
    auto res = decode_message(m.bytes, ctx);
    if (!res.ok())
      continue;
    const auto* u = std::get_if<Update>(&*res.message);
    if (!u || !u->issues.empty())
      continue;
    auto again = decode_message(encode_update(*u, {m.four_octet_as, true}), ctx);
    ASSERT_TRUE(again.ok()) << again.error.description;
    Update expected = *u;
    for (auto& raw : expected.attrs.unknown)
      raw.flags |= flag::partial;
    ASSERT_EQ(std::get<Update>(*again.message), expected);
    checked++;
  }
  EXPECT_GT(checked, 0u);
}

INSTANTIATE_TEST_SUITE_P(Collectors, Mrt,
                         testing::Values("ris-updates-2019-01-01.gz",
                                         "ibgp-session-start-full-table-2015.gz"),
                         [](const auto& p) {
                           std::string name = p.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return name;
                         });

}  // namespace
}  // namespace bpfr::bgp
