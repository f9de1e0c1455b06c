// `bpfrouter configure` and `bpfrouter reload` against a real BIRD 2 holding two sessions with
// bpfrouterd: a changed session setting resets only that session, changed filters are re-run
// with the sessions up, a broken file is refused and the running configuration stays, and
// `reload in|out` asks BIRD for its routes or sends ours again.
//
//   bird  b0 ---- m1  mid  m0 ---- r0  router (bpfrouterd)
//   fd00:2::2, ::3   fd00:2::1  fd00:1::1   fd00:1::2, ::3
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "integration/router_lab.h"
#include "lab/lab.h"

namespace bpfr {
namespace {

using namespace std::chrono_literals;

constexpr const char* bird_conf = R"(router id 10.0.2.2;
protocol device {}
protocol static {
  ipv6;
  route 2001:db8:200::/48 unreachable;
  route 2001:db8:201::/48 unreachable;
  route fd00:1::/64 via fd00:2::1;
}
template bgp lab {
  multihop 2;
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 2;
  ipv6 { import all; export where net ~ [ 2001:db8:200::/48, 2001:db8:201::/48 ]; };
}
protocol bgp upstream from lab {
  local fd00:2::2 as 64515;
  neighbor fd00:1::2 as 65535;
  password "lab-secret";
}
protocol bgp upstream2 from lab {
  local fd00:2::3 as 64516;
  neighbor fd00:1::3 as 65535;
  enable route refresh off;  # a changed import filter runs over the kept Adj-RIB-In
}
)";

// The knobs the tests turn in bpfrouterd's configuration.
struct RouterKnobs {
  std::string exported = "2001:db8:100::/48";  // what filter to_upstream lets out
  std::string upstream1_import = "all";
  unsigned upstream1_hold = 240;
  unsigned upstream2_hold = 90;
  std::string upstream2_import = "all";
  std::string extra_static;  // more lines in protocol static
  std::string broken;        // a line that makes the file invalid, inserted at line 2
};

std::string router_conf(const std::filesystem::path& pin_root, const RouterKnobs& k) {
  return fmt::format(R"(router id 10.0.1.2;
{}
protocol device {{}}
protocol static {{
  ipv6;
  route 2001:db8:100::/48 unreachable;
  route 2001:db8:101::/48 unreachable;
  route fd00:2::/64 via fd00:1::1;{}
}}
filter to_upstream {{ if net = {} then accept; reject; }}
template bgp lab {{
  multihop 2;
  connect delay time 1;
  connect retry time 2;
}}
protocol bgp upstream1 from lab {{
  local fd00:1::2 as 65535;
  neighbor fd00:2::2 as 64515;
  password "lab-secret";
  hold time {};
  ipv6 {{ import {}; export filter to_upstream; }};
}}
protocol bgp upstream2 from lab {{
  local fd00:1::3 as 65535;
  neighbor fd00:2::3 as 64516;
  hold time {};
  ipv6 {{ import {}; export filter to_upstream; }};
}}
bpfrouter {{
  pin root "{}";
  leave running off;
}}
)",
                     k.broken, k.extra_static, k.exported, k.upstream1_hold, k.upstream1_import,
                     k.upstream2_hold, k.upstream2_import,
                     pin_root.string());
}

std::filesystem::path binary(const char* relative) {
  return std::filesystem::path(BPFR_BINARY_DIR) / relative;
}

// A number from BIRD's `show protocols all` route change statistics, e.g. row "Import updates",
// column 0 (received).
uint64_t bird_stat(const std::string& shown, const std::string& row, int column) {
  std::istringstream lines(shown);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find(row + ":");
    if (at == std::string::npos)
      continue;
    std::istringstream cells(line.substr(at + row.size() + 1));
    std::string cell;
    for (int i = 0; i <= column && cells >> cell; ++i)
      if (i == column)
        return cell == "---" ? 0 : std::stoull(cell);
  }
  return 0;
}

size_t count_lines_with(const std::string& text, const std::string& a, const std::string& b) {
  std::istringstream lines(text);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line))
    n += line.find(a) != std::string::npos && line.find(b) != std::string::npos;
  return n;
}

class ConfigureLab : public ::testing::Test {
 protected:
  ConfigureLab()
      : bird_ns_("dcfg"),
        mid_("dcfg"),
        rtr_("dcfg"),
        left_({bird_ns_, "b0", {"fd00:2::2/64", "fd00:2::3/64"}}, {mid_, "m1", {"fd00:2::1/64"}}),
        right_({mid_, "m0", {"fd00:1::1/64"}}, {rtr_, "r0", {"fd00:1::2/64", "fd00:1::3/64"}}),
        dir_("bpfr-daemon-cfg"),
        pin_root_("/sys/fs/bpf/" + lab::unique_name("bpfr-dcfg")) {
    mid_.enable_forwarding();
    bird_ns_.ip("-6 route add fd00:1::/64 via fd00:2::1");
    rtr_.ip("-6 route add fd00:2::/64 via fd00:1::1");
    write({});
    bird_ = std::make_unique<lab::Bird>(bird_ns_, bird_conf);
    daemon_ = std::make_unique<lab::Process>(
        std::vector<std::string>{binary("userspace/daemon/bpfrouterd").string(), "-f", "-c",
                                 conf_path().string(), "-s", socket()},
        &rtr_, dir_ / "bpfrouterd.log");
  }

  ~ConfigureLab() override {
    daemon_.reset();
    bird_.reset();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
  }

  void SetUp() override {
    ASSERT_TRUE(bird_->wait_established("upstream", 60s)) << log();
    ASSERT_TRUE(bird_->wait_established("upstream2", 30s)) << log();
  }

  std::filesystem::path conf_path() const { return dir_ / "bpfrouter.conf"; }
  void write(const RouterKnobs& k) { std::ofstream(conf_path()) << router_conf(pin_root_, k); }
  std::string socket() const { return (dir_ / "bpfrouter.ctl").string(); }
  std::string log() const { return daemon_->log(); }
  lab::Result client(std::vector<std::string> args) const {
    args.insert(args.begin(), {binary("userspace/cli/bpfrouter").string(), "-s", socket()});
    return lab::run(args, nullptr, 20s);
  }

  // Times bpfrouterd logged the session coming up.
  size_t sessions_up(const std::string& name) const {
    return count_lines_with(log(), "bgp " + name + " (", "session up");
  }
  bool bird_has(const std::string& prefix) const {
    auto r = bird_->birdc({"show", "route", prefix});
    return r.out.find(prefix) != std::string::npos;
  }
  bool we_have(const std::string& prefix) const {
    auto r = client({"show", "route", prefix});
    return r.ok() && r.out.find(prefix) != std::string::npos;
  }
  // Both BIRD protocols stay Established for `how_long` (polled).
  bool both_stay_established(lab::Duration how_long) const {
    return !lab::wait_until(
        [&] {
          return bird_->protocol_state("upstream").find("Established") == std::string::npos ||
                 bird_->protocol_state("upstream2").find("Established") == std::string::npos;
        },
        how_long, 200ms);
  }

  lab::Netns bird_ns_, mid_, rtr_;
  lab::Veth left_, right_;
  lab::TempDir dir_;
  std::filesystem::path pin_root_;
  std::unique_ptr<lab::Bird> bird_;
  std::unique_ptr<lab::Process> daemon_;
};

TEST_F(ConfigureLab, ChangedHoldTimeResetsOnlyThatSession) {
  ASSERT_EQ(sessions_up("upstream1"), 1u) << log();
  ASSERT_EQ(sessions_up("upstream2"), 1u) << log();

  RouterKnobs k;
  k.upstream2_hold = 60;
  write(k);
  auto r = client({"configure"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("Reconfigured"), std::string::npos) << r.out;

  EXPECT_TRUE(lab::wait_until([&] { return sessions_up("upstream2") >= 2; }, 30s)) << log();
  EXPECT_TRUE(bird_->wait_established("upstream2", 30s)) << log();
  auto shown = bird_->birdc({"show", "protocols", "all", "upstream2"}).out;
  EXPECT_TRUE(std::regex_search(shown, std::regex("Hold timer: +[0-9.]+/60"))) << shown;
  EXPECT_EQ(sessions_up("upstream1"), 1u) << log();
  EXPECT_NE(bird_->protocol_state("upstream").find("Established"), std::string::npos);
}

TEST_F(ConfigureLab, ChangedFiltersAreRerunWithTheSessionsUp) {
  ASSERT_TRUE(lab::wait_until([&] { return bird_has("2001:db8:100::/48"); }, 20s)) << log();
  ASSERT_TRUE(lab::wait_until([&] { return we_have("2001:db8:201::/48"); }, 20s)) << log();
  integration::PinnedMaps maps(pin_root_);
  auto refused = *Prefix::parse("2001:db8:201::/48");
  ASSERT_TRUE(lab::wait_until([&] { return maps.has_route(refused); }, 20s)) << log();

  // Export: another prefix goes out. Import: one of BIRD's is refused now on each session,
  // through a ROUTE-REFRESH on upstream1 and the kept Adj-RIB-In on upstream2 (no refresh).
  RouterKnobs k;
  k.exported = "2001:db8:101::/48";
  k.upstream1_import = "where net != 2001:db8:201::/48";
  k.upstream2_import = "where net != 2001:db8:200::/48";
  write(k);
  auto r = client({"configure"});
  ASSERT_TRUE(r.ok()) << r.describe();

  EXPECT_TRUE(lab::wait_until([&] { return bird_has("2001:db8:101::/48"); }, 20s))
      << bird_->birdc({"show", "route", "all"}).out << log();
  EXPECT_TRUE(lab::wait_until([&] { return !bird_has("2001:db8:100::/48"); }, 20s))
      << bird_->birdc({"show", "route", "all"}).out;
  // upstream2 still brings 2001:db8:201::/48, so the prefix stays; upstream1's copy goes.
  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto shown = client({"show", "route", "2001:db8:201::/48", "all"}).out;
        return shown.find("upstream2") != std::string::npos &&
               shown.find("upstream1") == std::string::npos;
      },
      20s))
      << client({"show", "route", "all"}).out << log();
  EXPECT_TRUE(lab::wait_until(
      [&] {
        auto shown = client({"show", "route", "2001:db8:200::/48", "all"}).out;
        return shown.find("upstream1") != std::string::npos &&
               shown.find("upstream2") == std::string::npos;
      },
      20s))
      << client({"show", "route", "all"}).out << log();
  EXPECT_TRUE(maps.has_route(refused));

  EXPECT_TRUE(both_stay_established(2s));
  EXPECT_EQ(sessions_up("upstream1"), 1u) << log();
  EXPECT_EQ(sessions_up("upstream2"), 1u) << log();
}

TEST_F(ConfigureLab, BrokenFileIsRefusedAndTheRunningConfigurationStays) {
  RouterKnobs k;
  k.broken = "protocol bgp broken { frobnicate; }";
  write(k);

  // The client prints the daemon's error on stderr and exits 1.
  auto check = client({"configure", "check"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.err.find("bpfrouter.conf:2:"), std::string::npos) << check.describe();
  auto r = client({"configure"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bpfrouter.conf:2:23: syntax error near 'frobnicate'"), std::string::npos)
      << r.describe();

  // Nothing of the broken file took effect; the sessions and their routes are as they were.
  EXPECT_TRUE(both_stay_established(2s));
  EXPECT_EQ(sessions_up("upstream1"), 1u) << log();
  EXPECT_TRUE(lab::wait_until([&] { return we_have("2001:db8:200::/48"); }, 20s));
  EXPECT_EQ(client({"show", "protocols", "broken"}).out.find("broken  "), std::string::npos);

  // Fixed again, with a change: accepted.
  k.broken.clear();
  k.extra_static = "\n  route 2001:db8:300::/48 blackhole;";
  write(k);
  r = client({"configure"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(lab::wait_until([&] { return we_have("2001:db8:300::/48"); }, 10s));
  EXPECT_TRUE(both_stay_established(1s));
}

TEST_F(ConfigureLab, ReloadInAndOutOverTheControlSocket) {
  ASSERT_TRUE(lab::wait_until([&] { return bird_has("2001:db8:100::/48"); }, 20s)) << log();
  ASSERT_TRUE(lab::wait_until([&] { return we_have("2001:db8:201::/48"); }, 20s)) << log();
  auto stats = [&] { return bird_->birdc({"show", "protocols", "all", "upstream"}).out; };
  uint64_t bird_exported = bird_stat(stats(), "Export updates", 0);
  uint64_t bird_imported = bird_stat(stats(), "Import updates", 0);
  ASSERT_GT(bird_exported, 0u) << stats();

  // `reload in`: a ROUTE-REFRESH; BIRD sends its routes again.
  auto r = client({"reload", "in", "upstream1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("upstream1: reloading"), std::string::npos) << r.out;
  EXPECT_TRUE(lab::wait_until(
      [&] { return bird_stat(stats(), "Export updates", 0) >= bird_exported + 2; }, 10s))
      << stats();
  EXPECT_EQ(bird_stat(stats(), "Import updates", 0), bird_imported) << stats();

  // `reload out`: we send ours again; BIRD receives them once more.
  r = client({"reload", "out", "upstream1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(lab::wait_until(
      [&] { return bird_stat(stats(), "Import updates", 0) > bird_imported; }, 10s))
      << stats();

  // Nothing was lost on the way, and nothing reset.
  EXPECT_TRUE(we_have("2001:db8:200::/48"));
  EXPECT_TRUE(we_have("2001:db8:201::/48"));
  EXPECT_TRUE(bird_has("2001:db8:100::/48"));
  EXPECT_EQ(sessions_up("upstream1"), 1u) << log();
}

// A peer that stops answering: its routes leave the fast path's maps when the hold time runs
// out, not before, and not much later.
TEST_F(ConfigureLab, FrozenPeersRoutesLeaveTheFastPathWithinTheHoldTime) {
  RouterKnobs k;
  k.upstream1_hold = 6;
  k.upstream2_hold = 6;
  write(k);
  ASSERT_TRUE(client({"configure"}).ok());
  ASSERT_TRUE(lab::wait_until(
      [&] { return sessions_up("upstream1") >= 2 && sessions_up("upstream2") >= 2; }, 30s))
      << log();
  integration::PinnedMaps maps(pin_root_);
  auto birds = *Prefix::parse("2001:db8:200::/48");
  ASSERT_TRUE(lab::wait_until([&] { return maps.has_route(birds); }, 20s)) << log();

  bird_->process().signal(SIGSTOP);
  auto frozen = lab::Clock::now();
  bool gone = lab::wait_until([&] { return !maps.has_route(birds); }, 15s, 50ms);
  auto took = lab::Clock::now() - frozen;
  bird_->process().signal(SIGCONT);
  EXPECT_TRUE(gone) << log();
  EXPECT_GE(took, 3s);  // the last keepalive came at most a third of the hold time before
  EXPECT_LE(took, 8s);
  EXPECT_NE(log().find("hold timer expired"), std::string::npos) << log();
}

}  // namespace
}  // namespace bpfr
