// `bpfrouter stats` on maps pinned in a private directory, with no daemon anywhere.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "stats/pinned_maps.h"

namespace bpfr::cli {
namespace {

struct Result {
  int status;
  std::string out, err;
};

Result cli(std::vector<std::string> args) {
  args.insert(args.begin(), "bpfrouter");
  std::ostringstream out, err;
  int status = run(args, out, err);
  return {status, out.str(), err.str()};
}

class CliStats : public ::testing::Test {
 protected:
  void SetUp() override {
    maps.slot(1, *Prefix::parse("2001:db8:100::/48"), BPFR_SLOT_LIVE, 1, 0);
    maps.slot(2, *Prefix::parse("198.51.100.0/24"), BPFR_SLOT_WITHDRAWN, 4, 0);
    maps.route_counters(1, {{10, 1000}});
    maps.route_counters(2, {{3, 300}});
    maps.reason_counters(BPFR_DROP_BLACKHOLE, {{5, 500}});
  }
  stats::testing::PinnedMaps maps{"bpfr-test-cli-stats"};
};

TEST_F(CliStats, UsageErrors) {
  struct Row {
    std::vector<std::string> args;
    std::string err;
  };
  const Row rows[] = {
      {{"stats", "--top", "x"}, "bpfrouter stats: --top needs a positive whole number, not 'x'"},
      {{"stats", "--top"}, "bpfrouter stats: --top needs a positive whole number;"},
      {{"stats", "--prefix", "10.0.0.0/33"},
       "bpfrouter stats: --prefix needs a prefix or address, not '10.0.0.0/33'"},
      {{"stats", "--interval", "-1"},
       "bpfrouter stats: --interval needs seconds between 0 and 3600, not '-1'"},
      {{"stats", "--count", "2"}, "bpfrouter stats: --count only goes with --watch"},
      {{"stats", "--frob"}, "bpfrouter stats: unknown stats option '--frob'"},
  };
  for (const auto& row : rows) {
    auto r = cli(row.args);
    EXPECT_EQ(r.status, 2) << row.err;
    EXPECT_TRUE(r.err.starts_with(row.err)) << r.err;
  }
}

TEST_F(CliStats, MissingMapsAreUnreachable) {
  auto r = cli({"stats", "--pin-root", maps.root() + "/none"});
  EXPECT_EQ(r.status, 3);
  EXPECT_TRUE(r.err.starts_with("bpfrouter stats: cannot open pinned map " + maps.root() +
                                "/none/route_stats_v1"))
      << r.err;
}

TEST_F(CliStats, JsonFromPinnedMaps) {
  auto r = cli({"stats", "--json", "--pin-root", maps.root(), "--interval", "0"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "bpfrouter-stats/1");
  EXPECT_EQ(j["pin_root"], maps.root());
  EXPECT_EQ(j["interval_s"], 0.0);
  ASSERT_EQ(j["prefixes"].size(), 3u);
  EXPECT_EQ(j["prefixes"][0]["prefix"], "2001:db8:100::/48");
  EXPECT_EQ(j["prefixes"][0]["packets"], 10);
  EXPECT_EQ(j["prefixes"][0]["pps"], nullptr);
  EXPECT_EQ(j["prefixes"][1]["prefix"], "198.51.100.0/24");
  EXPECT_EQ(j["prefixes"][1]["state"], "withdrawn");
  EXPECT_EQ(j["actions"][2]["packets"], 5);
}

TEST_F(CliStats, TopAndPrefixInText) {
  auto r = cli({"stats", "--pin-root", maps.root(), "--interval", "0", "--top", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2001:db8:100::/48"), std::string::npos);
  EXPECT_EQ(r.out.find("198.51.100.0/24"), std::string::npos);
  EXPECT_NE(r.out.find("(1 of 3 prefixes shown)"), std::string::npos);

  r = cli({"stats", "--pin-root", maps.root(), "--interval", "0", "--prefix", "198.51.100.7"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("198.51.100.0/24                             withdrawn"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("2001:db8:100::/48"), std::string::npos);
}

TEST_F(CliStats, WatchIsBoundedByCount) {
  auto r = cli({"stats", "--pin-root", maps.root(), "--interval", "0.05", "--watch", "--count", "3",
                "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_GT(j["interval_s"].get<double>(), 0.04);
    EXPECT_EQ(j["prefixes"][0]["pps"], 0.0);  // nothing moved
    n++;
  }
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace bpfr::cli
