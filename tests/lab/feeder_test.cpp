// tools/table-feeder.py: its output loads into a real BIRD 2 with the AS paths of the data, and
// the full table has the promised size without duplicates or special-purpose space.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lab/lab.h"

namespace bpfr::lab {
namespace {

const std::string kFeeder = BPFR_SOURCE_DIR "/tools/table-feeder.py";

class FeederTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_privileges()) {
      GTEST_SKIP() << "needs root";
    }
    if (!run({kFeeder, "--help"}).ok()) {
      GTEST_SKIP() << "table feeder cannot run";
    }
  }

  std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    return lines;
  }

  TempDir dir{"bpfr-feeder"};
};

TEST_F(FeederTest, ASliceLoadsIntoBirdWithTheRealAsPaths) {
  auto conf = dir / "feed.conf";
  auto list = dir / "feed.txt";
  check(run({kFeeder, "--limit", "1000", "--via4", "blackhole", "--bird", conf, "--prefixes", list},
            nullptr, 180s),
        "table-feeder");
  auto prefixes = read_lines(list);
  ASSERT_EQ(prefixes.size(), 2000u);
  EXPECT_EQ(prefixes.front(), "1.0.0.0/24");  // the slice starts where the RIB starts

  Netns ns("feeder");
  Bird bird(ns, "router id 192.0.2.1;\nprotocol device {}\ninclude \"" + conf.string() + "\";\n");
  ASSERT_TRUE(bird.wait_ready(20s)) << bird.process().log();
  ASSERT_TRUE(wait_until([&] { return bird.route_count() == 2000; }, 30s, 100ms))
      << bird.birdc({"show", "route", "count"}).describe() << bird.process().log();

  // RouteViews, peer AS 30844: 1.0.0.0/24 was announced by Google, AS 15169.
  auto route = bird.birdc({"show", "route", "all", "1.0.0.0/24"});
  EXPECT_NE(route.out.find("BGP.as_path: 30844 15169"), std::string::npos) << route.out;
  // IPv6 routes carry made-up paths, never with the lab's own AS numbers.
  auto v6 = bird.birdc({"show", "route", "all", "table", "master6"}).out;
  EXPECT_NE(v6.find("BGP.as_path: "), std::string::npos);
  EXPECT_EQ(v6.find(" 65535"), std::string::npos);
  EXPECT_EQ(v6.find(" 64515"), std::string::npos);
}

TEST_F(FeederTest, FullTableIsToppedUpToTheRequestedSizes) {
  auto list = dir / "full.txt";
  auto start = Clock::now();
  check(run({kFeeder, "--table", "full", "--prefixes", list}, nullptr, 240s), "table-feeder");
  auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
  RecordProperty("seconds", std::to_string(seconds));

  auto prefixes = read_lines(list);
  ASSERT_EQ(prefixes.size(), 1230000u);
  std::set<std::string> unique(prefixes.begin(), prefixes.end());
  EXPECT_EQ(unique.size(), prefixes.size());
  size_t v6 = 0, v4_24 = 0, v6_48 = 0;
  for (const auto& p : prefixes) {
    bool is_v6 = p.find(':') != std::string::npos;
    v6 += is_v6;
    v4_24 += !is_v6 && p.ends_with("/24");
    v6_48 += is_v6 && p.ends_with("/48");
    ASSERT_FALSE(p.starts_with("10.") || p.starts_with("127.") || p.starts_with("2001:db8:")) << p;
  }
  EXPECT_EQ(v6, 230000u);
  // The length mix of the real table (59.6% /24, 47.1% /48) survives the top-up.
  EXPECT_NEAR(double(v4_24) / 1000000, 0.596, 0.01);
  EXPECT_NEAR(double(v6_48) / 230000, 0.471, 0.01);
}

}  // namespace
}  // namespace bpfr::lab
