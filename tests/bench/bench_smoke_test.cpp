// tools/bench/run.sh --smoke: every benchmark case runs on small tables and reports its figures.
// Nothing here asserts a speed; it asserts that each case measured what it claims to measure
// (traffic went through, routes reached the maps, both daemons accepted the same routes).
// One test, since ctest runs each test in a process of its own and the run takes a minute.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "lab/lab.h"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

void expect_one_table_with_every_case(const std::string& out) {
  for (const char* line : {"forwarding", "xdp_router per packet", "convergence", "UPDATE to",
                           "churn", "LPM trie inserts", "filter CPU", "lookup"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << " missing:\n" << out;
  }
}

void expect_forwarding_delivers_traffic(const Json& f) {
  EXPECT_GT(f["fwd_full"]["rx_pps"].get<double>(), 0);
  EXPECT_GT(f["fwd_small"]["rx_pps"].get<double>(), 0);
  for (const char* table : {"ref_full", "ref_small"}) {
    EXPECT_GT(f[table]["kernel"].get<double>(), 0) << table;
    EXPECT_GT(f[table]["redirect"].get<double>(), 0) << table;
  }
}

// Every sampled destination has a route with a resolved next hop, so the daemon's program must
// redirect all of them; a pass would mean the figure timed the hand-off to the kernel.
void expect_xdp_redirects_every_destination(const Json& f) {
  for (const char* key : {"xdp_full4", "xdp_full6", "xdp_small4", "xdp_small6"}) {
    const auto& x = f[key];
    EXPECT_EQ(x["verdicts"].value("redirect", 0), x["samples"].get<int>()) << key << ": " << x;
  }
}

void expect_both_daemons_import_the_table(const Json& f) {
  const auto& table = f["size"]["tables"]["feed"];
  int want = table["4"].get<int>() + table["6"].get<int>();
  EXPECT_EQ(f["conv_bpfrouterd"]["imported"].get<int>(), want);
  EXPECT_EQ(f["conv_bird"]["imported"].get<int>(), want);
  EXPECT_GT(f["conv_bpfrouterd"]["map_mib"].get<double>(), 0);
}

void expect_filter_accepts_the_same_routes(const Json& f) {
  int bpfrouterd = f["filter_bpfrouterd"]["imported"].get<int>();
  EXPECT_GT(bpfrouterd, 0);
  EXPECT_EQ(bpfrouterd, f["filter_bird"]["imported"].get<int>());
}

void expect_updates_reach_the_map(const Json& f) {
  EXPECT_EQ(f["latency"]["samples"].get<int>(), f["size"]["latency"].get<int>());
  EXPECT_GT(f["churn"]["updates"].get<int>(), 0);
  EXPECT_GE(f["churn"]["drain_s"].get<double>(), 0);
  EXPECT_GT(f["map_update"]["single_per_s"].get<double>(), 0);
}

TEST(BenchSmoke, EveryBenchmarkRunsAndMeasuresWhatItClaims) {
  if (!bpfr::lab::have_privileges()) {
    GTEST_SKIP() << "needs root";
  }
  bpfr::lab::TempDir dir("bpfr-bench-smoke");
  auto report = dir / "bench.json";
  // --workdir: the logs a failed run keeps go with the TempDir. About a minute, plus two the
  // first time on a machine, when the full table is made and cached.
  auto run =
      bpfr::lab::run({BPFR_SOURCE_DIR "/tools/bench/run.sh", "--smoke", "--build", BPFR_BINARY_DIR,
                      "--json", report.string(), "--workdir", dir.path().string()},
                     nullptr, 420s);
  ASSERT_TRUE(run.ok()) << run.describe();
  std::ifstream in(report);
  ASSERT_TRUE(in) << "no JSON report; " << run.describe();
  auto figures = Json::parse(in)["results"];

  expect_one_table_with_every_case(run.out);
  expect_forwarding_delivers_traffic(figures);
  expect_xdp_redirects_every_destination(figures);
  expect_both_daemons_import_the_table(figures);
  expect_filter_accepts_the_same_routes(figures);
  expect_updates_reach_the_map(figures);
}

}  // namespace
