// `bpfrouter stats` on the namespace lab (tests/integration) with traffic from the generator:
// per-prefix, per-interface and per-reason counters equal what was sent, while bpfrouterd
// runs and after it stopped, and in the metrics endpoint; a withdrawn prefix keeps its counters
// and says so; --watch rates.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "integration/cli_run.h"
#include "integration/router_lab.h"
#include "trafficgen.h"

namespace bpfr::integration {
namespace {

constexpr uint64_t burst = 400;
// Inside the routes to the destination, never its own address (which would answer).
constexpr const char* dst_v4 = "10.99.0.128/25";
constexpr const char* dst_v6 = "fd00:99::8000:0:0:0/65";
constexpr const char* no_route_v4 = "10.97.0.0/24";
// What XDP sees of the generator's frames: the minimum on the wire less the 4-byte FCS.
constexpr uint64_t frame_v4 = 60, frame_v6 = 78;

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

class StatsLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<RouterLab>();
    config_.leave_running = true;
    config_.block = "  metrics { address 127.0.0.1; port 9324; };\n";  // in the router's namespace
    lab_->write_config(config_);
    lab_->start_daemon();
  }

  // The metrics endpoint scraped from inside the router's namespace: series -> value.
  std::map<std::string, double> scrape() {
    std::map<std::string, double> out;
    auto r = lab_->rtr().run({"curl", "-s", "--max-time", "5", "http://127.0.0.1:9324/metrics"});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      auto space = line.rfind(' ');
      if (line.empty() || line[0] == '#' || space == std::string::npos)
        continue;
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
  }

  trafficgen::Options options(const char* src, const char* dst, uint64_t count) {
    trafficgen::Options o;
    o.netns_path = lab_->src().path();
    o.dev = "s0";
    o.dst_mac = trafficgen::parse_mac(lab_->r0_mac());
    auto a = *Address::parse(src);
    (a.is_v4() ? o.src_v4 : o.src_v6) = a;
    o.destinations = {P(dst)};
    o.count = count;
    o.rate_pps = 20000;
    o.duration = std::chrono::seconds(5);
    return o;
  }

  void send(const char* src, const char* dst) {
    ASSERT_EQ(trafficgen::Generator(options(src, dst, burst)).run().sent, burst);
  }

  CliResult stats(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"stats", "--pin-root", lab_->pin_root().string()};
    if (std::find(more.begin(), more.end(), "--interval") == more.end())
      more.insert(more.end(), {"--interval", "0"});
    args.insert(args.end(), more.begin(), more.end());
    auto r = bpfrouter(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r;
  }

  nlohmann::json json() { return nlohmann::json::parse(stats({"--json"}).out); }

  static nlohmann::json row(const nlohmann::json& rows, const char* key, const auto& value) {
    for (const auto& r : rows)
      if (r[key] == value)
        return r;
    return nullptr;
  }

  LabConfig config_;
  std::unique_ptr<RouterLab> lab_;
};

TEST_F(StatsLab, CountersEqualWhatWasSentWhileTheDaemonRunsAndAfterItStopped) {
  send("fd00:98::1", dst_v6);
  send("10.98.0.1", dst_v4);
  send("127.0.0.1", dst_v4);  // never a valid source: dropped on r0
  send("10.98.0.1", no_route_v4);

  auto check = [&](uint64_t v6_bursts) {
    auto j = json();
    auto v6 = row(j["prefixes"], "prefix", "fd00:99::/64");
    ASSERT_FALSE(v6.is_null()) << j.dump(1);
    EXPECT_EQ(v6["state"], "live");
    EXPECT_EQ(v6["packets"], v6_bursts * burst);
    EXPECT_EQ(v6["bytes"], v6_bursts * burst * frame_v6);
    auto v4 = row(j["prefixes"], "prefix", "10.99.0.0/24");
    EXPECT_EQ(v4["packets"], burst);
    EXPECT_EQ(v4["bytes"], burst * frame_v4);

    uint64_t forwarded = (v6_bursts + 1) * burst;
    EXPECT_EQ(row(j["reasons"], "reason", "forward_xdp")["packets"], forwarded);
    EXPECT_EQ(row(j["reasons"], "reason", "drop_bogon_src")["packets"], burst);
    EXPECT_EQ(row(j["reasons"], "reason", "pass_no_route")["packets"], burst);
    EXPECT_EQ(row(j["actions"], "action", "forward")["packets"], forwarded);
    EXPECT_EQ(row(j["actions"], "action", "drop")["packets"], burst);

    // Interfaces by ifindex: names are the router namespace's, not this one's.
    auto r0 = row(j["interfaces"], "ifindex", lab_->rtr().ifindex("r0"));
    auto r1 = row(j["interfaces"], "ifindex", lab_->r1_ifindex());
    ASSERT_FALSE(r0.is_null() || r1.is_null()) << j.dump(1);
    EXPECT_EQ(r0["role"], "upstream");
    EXPECT_GE(r0["rx_packets"].get<uint64_t>(), forwarded + 2 * burst);  // and ND, ARP
    EXPECT_EQ(r0["drop_packets"], burst);
    EXPECT_EQ(r1["tx_packets"], forwarded);
    EXPECT_EQ(r1["tx_bytes"], v6_bursts * burst * frame_v6 + burst * frame_v4);
    EXPECT_GE(j["slots"]["in_use"].get<uint32_t>(), 4u);
    EXPECT_EQ(j["slots"]["counter_bytes"],
              uint64_t(j["slots"]["capacity"]) * 16 * uint64_t(j["slots"]["cpus"]));
  };
  check(1);

  auto m = scrape();
  EXPECT_EQ(m["bpfrouter_prefix_packets_total{prefix=\"fd00:99::/64\",state=\"live\"}"], burst);
  EXPECT_EQ(m["bpfrouter_prefix_bytes_total{prefix=\"10.99.0.0/24\",state=\"live\"}"],
            burst * frame_v4);
  EXPECT_EQ(m["bpfrouter_reason_packets_total{reason=\"forward_xdp\",action=\"forward\"}"],
            2 * burst);
  EXPECT_EQ(m["bpfrouter_reason_packets_total{reason=\"drop_bogon_src\",action=\"drop\"}"], burst);
  EXPECT_EQ(m["bpfrouter_interface_tx_packets_total{interface=\"r1\",ifindex=\"" +
              std::to_string(lab_->r1_ifindex()) + "\"}"],
            2 * burst);
  EXPECT_EQ(m["bpfrouter_dataplane_up"], 1);

  // No daemon: the pinned programs keep forwarding, the pinned maps still tell.
  lab_->stop_daemon();
  send("fd00:98::1", dst_v6);
  check(2);
}

TEST_F(StatsLab, WithdrawnPrefixKeepsItsCountersAndTheOutputSaysSo) {
  send("fd00:98::1", dst_v6);
  // The kernel's own route to it goes too, so nothing else carries the prefix.
  lab_->rtr().ip("-6 route del fd00:99::/64");
  config_.dst_v6 = false;
  lab_->write_config(config_);
  lab_->reload();
  ASSERT_TRUE(lab::wait_until([&] { return !lab_->maps().has_route(P(route_dst_v6)); }, 5s))
      << lab_->daemon_log();

  auto j = json();
  auto v6 = row(j["prefixes"], "prefix", "fd00:99::/64");
  EXPECT_EQ(v6["state"], "withdrawn");
  EXPECT_EQ(v6["packets"], burst);

  // --prefix narrows to it; the text says withdrawn.
  auto text = stats({"--prefix", "fd00:99::/64"}).out;
  EXPECT_NE(text.find("withdrawn"), std::string::npos) << text;
  EXPECT_EQ(text.find("10.99.0.0/24"), std::string::npos) << text;
  // --top 1 keeps the busiest prefix, which is still the withdrawn one.
  j = nlohmann::json::parse(stats({"--json", "--top", "1"}).out);
  ASSERT_EQ(j["prefixes"].size(), 1u) << j.dump(1);
  EXPECT_EQ(j["prefixes"][0]["prefix"], "fd00:99::/64");
}

TEST_F(StatsLab, WatchShowsRatesOfTrafficInFlight) {
  // 2,000 packets/s for 2 s while three 0.4 s frames are taken.
  auto o = options("fd00:98::1", dst_v6, 4000);
  o.rate_pps = 2000;
  trafficgen::Generator gen(o);
  std::thread sender([&] { gen.run(); });
  auto r = stats({"--json", "--watch", "--count", "3", "--interval", "0.4"});
  sender.join();

  std::istringstream lines(r.out);
  std::string line;
  int frames = 0;
  double seen = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    auto v6 = row(j["prefixes"], "prefix", "fd00:99::/64");
    ASSERT_FALSE(v6.is_null());
    ASSERT_TRUE(v6["pps"].is_number()) << line;
    seen = std::max(seen, v6["pps"].get<double>());
    double bps = v6["bps"].get<double>();
    EXPECT_NEAR(bps, v6["pps"].get<double>() * frame_v6 * 8, 1e-9 * bps);
    frames++;
  }
  EXPECT_EQ(frames, 3);
  // Loose: the generator shares two cores with the rest of the tests.
  EXPECT_GT(seen, 500.0);
  EXPECT_LT(seen, 4000.0);
}

}  // namespace
}  // namespace bpfr::integration
