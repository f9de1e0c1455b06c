#include "config/parser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/filter.h"

namespace bpfr::config {
namespace {

namespace fs = std::filesystem;

const std::string data_dir = BPFR_SOURCE_DIR "/tests/config/data";

Address ip(const char* text) { return *Address::parse(text); }
Prefix net(const char* text) { return *Prefix::parse(text); }

// What `bird -p -c FILE` says about a file, run in the file's directory.
struct BirdVerdict {
  bool ok = false;
  std::string file;
  int line = 0;
  std::string message;
  std::string output;
};

bool bird_available() { return access("/usr/sbin/bird", X_OK) == 0; }

BirdVerdict bird_parse(const fs::path& path) {
  BirdVerdict v;
  std::string cmd = "cd '" + path.parent_path().string() + "' && /usr/sbin/bird -p -c '" +
                    path.filename().string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  while (p && fgets(buf, sizeof buf, p))
    v.output += buf;
  int status = p ? pclose(p) : -1;
  v.ok = status == 0;
  // "bird: FILE:LINE:COLUMN MESSAGE"
  auto at = v.output.find("bird: ");
  if (at == std::string::npos)
    return v;
  std::string rest = v.output.substr(at + 6);
  auto space = rest.find(' ');
  std::string where = rest.substr(0, space);
  v.message = space == std::string::npos ? "" : rest.substr(space + 1);
  auto last = where.rfind(':');
  auto mid = last == std::string::npos ? last : where.rfind(':', last - 1);
  if (mid == std::string::npos)
    return v;
  v.file = fs::path(where.substr(0, mid)).filename();
  v.line = std::atoi(where.substr(mid + 1, last - mid - 1).c_str());
  return v;
}

std::vector<fs::path> conf_files(const std::string& dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".conf")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// ---- the guide --------------------------------------------------------------------------

TEST(Guide, ParsesToTheExpectedModel) {
  // The guide's bird.conf with its one placeholder filled in (bird rejects the placeholder
  // too: see bad/undefined-placeholder.conf).
  Config c = parse_config_file(data_dir + "/guide.conf");

  ASSERT_EQ(c.log.size(), 1u);
  EXPECT_EQ(c.log[0].kind, LogTarget::Kind::syslog);
  EXPECT_EQ(c.log[0].classes, uint32_t(log_all));
  EXPECT_EQ(c.router_id, ip("0.0.0.0"));

  ASSERT_EQ(c.device.size(), 1u);
  EXPECT_EQ(c.device[0].name, "device1");
  EXPECT_EQ(c.device[0].scan_time, 5u);

  ASSERT_EQ(c.direct.size(), 1u);
  EXPECT_EQ(c.direct[0].name, "direct1");
  ASSERT_EQ(c.direct[0].interfaces.size(), 1u);
  EXPECT_EQ(c.direct[0].interfaces[0].glob, "dummy*");
  ASSERT_EQ(c.direct[0].channels.size(), 1u);
  EXPECT_EQ(c.direct[0].channels[0].family, Family::v6);

  ASSERT_EQ(c.statics.size(), 1u);
  auto& st = c.statics[0];
  EXPECT_EQ(st.name, "static1");
  ASSERT_EQ(st.routes.size(), 1u);
  EXPECT_EQ(st.routes[0].prefix, net("2001:db8:1234::/48"));
  EXPECT_EQ(st.routes[0].kind, StaticRoute::Kind::via);
  ASSERT_EQ(st.routes[0].next_hops.size(), 1u);
  EXPECT_EQ(st.routes[0].next_hops[0].via, ip("2001:db8:ffff::2"));
  EXPECT_EQ(st.channels[0].import_policy.kind, Policy::Kind::all);

  ASSERT_EQ(c.bgp.size(), 1u);
  auto& b = c.bgp[0];
  EXPECT_EQ(b.name, "vultr");
  EXPECT_EQ(b.description, "Vultr");
  EXPECT_EQ(b.local_address, ip("2001:db8:ffff::2"));
  EXPECT_EQ(b.local_as, 65535u);
  EXPECT_EQ(b.neighbor_address, ip("2001:19f0:ffff::1"));
  EXPECT_EQ(b.neighbor_as, 64515u);
  EXPECT_EQ(b.multihop, 2u);
  EXPECT_EQ(b.password, "bgpPassword");
  EXPECT_FALSE(b.is_internal());
  EXPECT_EQ(b.hold_time, 240u);
  EXPECT_EQ(b.graceful_restart, BgpProtocol::GracefulRestart::aware);
  ASSERT_EQ(b.channels.size(), 1u);
  EXPECT_EQ(b.channels[0].family, Family::v6);
  EXPECT_EQ(b.channels[0].import_policy.kind, Policy::Kind::all);
  EXPECT_EQ(b.channels[0].export_policy.kind, Policy::Kind::filter);
  ASSERT_TRUE(b.channels[0].export_policy.filter);

  // The inline export filter lets out only the own /48.
  auto& f = *b.channels[0].export_policy.filter;
  filter::FilterRoute own;
  own.net = net("2001:db8:1234::/48");
  filter::FilterRoute other = own;
  other.net = net("2001:db8:1234::/64");
  EXPECT_EQ(filter::run(f, own), filter::Verdict::accept);
  EXPECT_EQ(filter::run(f, other), filter::Verdict::reject);

  // No bpfrouter block: the fast path runs on defaults.
  EXPECT_FALSE(c.fast_path.present);
  EXPECT_EQ(c.fast_path.pin_root, "/sys/fs/bpf/bpfrouter");
}

// ---- good configurations: we and bird -p both accept ------------------------------------

TEST(GoodConfigs, AcceptedByUsAndByBird) {
  auto files = conf_files(data_dir);
  ASSERT_GE(files.size(), 3u);
  for (auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    EXPECT_NO_THROW({
      try {
        parse_config_file(path);
      } catch (const ConfigError& e) {
        ADD_FAILURE() << e.what();
      }
    });
    if (!bird_available())
      continue;
    auto bird = bird_parse(path);
    EXPECT_TRUE(bird.ok) << bird.output;
  }
  if (!bird_available())
    GTEST_SKIP() << "bird (bird2 package) is not installed: comparison with bird -p skipped";
}

TEST(GoodConfigs, SmallIspModel) {
  Config c = parse_config_file(data_dir + "/small-isp.conf");
  ASSERT_EQ(c.log.size(), 3u);
  EXPECT_EQ(c.log[1].kind, LogTarget::Kind::stderr_);
  EXPECT_EQ(c.log[1].classes, uint32_t(log_warning | log_error | log_fatal));
  EXPECT_EQ(c.log[2].kind, LogTarget::Kind::file);
  EXPECT_EQ(c.log[2].path, "/var/log/bird.log");
  EXPECT_EQ(c.log[2].size_limit, 1000000u);
  EXPECT_EQ(c.log[2].backup_path, "/var/log/bird.log.old");
  EXPECT_EQ(c.defines.at("OWN_AS"), "65535");
  EXPECT_EQ(c.files.size(), 2u);

  // Templates are resolved: the protocol has the template's settings and its own.
  auto* up1 = static_cast<const BgpProtocol*>(c.protocol("upstream1"));
  ASSERT_TRUE(up1);
  EXPECT_EQ(up1->from_template, "transit");
  EXPECT_EQ(up1->local_as, 65535u);
  EXPECT_EQ(up1->hold_time, 90u);
  EXPECT_EQ(up1->keepalive_time, 30u);
  EXPECT_EQ(up1->connect_retry_time, 60u);
  EXPECT_EQ(up1->graceful_restart, BgpProtocol::GracefulRestart::on);
  EXPECT_EQ(up1->graceful_restart_time, 180u);
  EXPECT_EQ(up1->source_address, ip("2001:db8:ffff::2"));
  EXPECT_EQ(up1->password, "s3cret");
  ASSERT_EQ(up1->channels.size(), 2u);
  auto* v6 = up1->channel(Family::v6);
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->next_hop_self);
  EXPECT_EQ(v6->import_policy.filter_name, "transit_in");
  ASSERT_TRUE(v6->import_limit);
  EXPECT_EQ(v6->import_limit->max, 1200000u);
  EXPECT_EQ(v6->import_limit->action, Limit::Action::warn);

  // A channel block in the protocol changes only what it says.
  auto* up2 = static_cast<const BgpProtocol*>(c.protocol("upstream2"));
  ASSERT_TRUE(up2);
  EXPECT_TRUE(up2->ttl_security);
  EXPECT_EQ(up2->hold_time, 240u);
  auto* v4 = up2->channel(Family::v4);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->import_limit->max, 900000u);
  EXPECT_EQ(v4->import_limit->action, Limit::Action::block);
  EXPECT_EQ(v4->import_policy.filter_name, "transit_in");

  auto* ix = static_cast<const BgpProtocol*>(c.protocol("ix_peer"));
  ASSERT_TRUE(ix);
  EXPECT_EQ(ix->interface, "eth2");
  EXPECT_TRUE(ix->passive);
  EXPECT_FALSE(ix->multihop);
  EXPECT_EQ(ix->neighbor_address, ip("fe80::64:1"));
  EXPECT_EQ(ix->channel(Family::v6)->export_policy.kind, Policy::Kind::filter);
  EXPECT_EQ(ix->channel(Family::v6)->export_policy.filter_name, "");
  EXPECT_EQ(ix->channel(Family::v6)->import_limit->action, Limit::Action::disable);

  auto* k6 = static_cast<const KernelProtocol*>(c.protocol("kernel6"));
  ASSERT_TRUE(k6);
  EXPECT_TRUE(k6->learn);
  EXPECT_FALSE(k6->persist);
  EXPECT_EQ(k6->scan_time, 20u);
  EXPECT_TRUE(k6->merge_paths);
  EXPECT_EQ(k6->merge_paths_limit, 8u);
  EXPECT_TRUE(k6->graceful_restart);
  EXPECT_EQ(k6->channels[0].import_policy.kind, Policy::Kind::none);

  auto* s6 = static_cast<const StaticProtocol*>(c.protocol("static6"));
  ASSERT_TRUE(s6);
  ASSERT_EQ(s6->routes.size(), 6u);
  EXPECT_EQ(s6->routes[0].kind, StaticRoute::Kind::blackhole);
  EXPECT_EQ(s6->routes[1].kind, StaticRoute::Kind::interface);
  EXPECT_EQ(s6->routes[1].interface, "wg0");
  EXPECT_EQ(s6->routes[3].next_hops[0].interface, "eth1");
  EXPECT_EQ(s6->routes[4].kind, StaticRoute::Kind::unreachable);
  EXPECT_EQ(s6->routes[5].kind, StaticRoute::Kind::prohibit);

  auto* s4 = static_cast<const StaticProtocol*>(c.protocol("static4"));
  ASSERT_TRUE(s4);
  ASSERT_EQ(s4->routes.size(), 4u);
  EXPECT_TRUE(s4->routes[1].attributes);
  EXPECT_TRUE(s4->routes[2].next_hops[0].onlink);
  ASSERT_EQ(s4->routes[3].next_hops.size(), 2u);
  EXPECT_EQ(s4->routes[3].next_hops[0].weight, 2u);
}

TEST(GoodConfigs, HomeLabModel) {
  Config c = parse_config_file(data_dir + "/home-lab.conf");
  EXPECT_EQ(c.log[0].syslog_name, "bird-lab");
  EXPECT_EQ(c.router_id, ip("10.255.0.1"));

  ASSERT_EQ(c.device[0].interfaces.size(), 2u);
  auto& direct = c.direct[0];
  EXPECT_EQ(direct.name, "lab_direct");
  EXPECT_FALSE(direct.disabled);
  EXPECT_TRUE(direct.check_link);
  ASSERT_EQ(direct.interfaces.size(), 3u);
  EXPECT_TRUE(direct.interfaces[0].negative);
  EXPECT_EQ(direct.interfaces[0].glob, "docker*");
  EXPECT_EQ(direct.interfaces[2].range, net("10.0.0.0/8"));
  EXPECT_EQ(direct.channels[0].table, "site4");

  ASSERT_EQ(c.kernel.size(), 2u);
  EXPECT_EQ(c.kernel[0].name, "kernel1");
  EXPECT_EQ(c.kernel[0].kernel_table, 100u);
  EXPECT_TRUE(c.kernel[0].persist);
  EXPECT_EQ(c.kernel[0].channels[0].preference, 10u);
  EXPECT_EQ(c.kernel[1].metric, 1024u);

  auto& st = c.statics[0];
  EXPECT_EQ(st.routes[2].kind, StaticRoute::Kind::unreachable);  // `reject`
  EXPECT_EQ(st.routes[3].kind, StaticRoute::Kind::blackhole);    // `drop`

  auto& b = c.bgp[0];
  EXPECT_TRUE(b.is_internal());
  EXPECT_EQ(b.local_as, 4200000001u);
  EXPECT_EQ(b.neighbor_port, 1179);
  EXPECT_FALSE(b.multihop);
  EXPECT_TRUE(b.rr_client);
  EXPECT_EQ(b.rr_cluster_id, ip("10.255.0.1"));
  EXPECT_EQ(b.startup_hold_time, 60u);
  EXPECT_EQ(b.connect_delay_time, 3u);
  EXPECT_EQ(b.error_wait_time_min, 30u);
  EXPECT_EQ(b.error_wait_time_max, 600u);
  EXPECT_TRUE(b.enable_extended_messages);
  EXPECT_FALSE(b.interpret_communities);
  auto* v4 = b.channel(Family::v4);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->next_hop_address, ip("10.255.0.1"));
  EXPECT_TRUE(v4->gateway_recursive);
  EXPECT_EQ(v4->import_limit->max, 10000u);
  EXPECT_EQ(v4->import_limit->action, Limit::Action::disable);  // BIRD's default action
  EXPECT_EQ(v4->receive_limit->action, Limit::Action::warn);
  EXPECT_EQ(v4->export_limit->action, Limit::Action::block);
  EXPECT_TRUE(v4->add_paths_rx);
  EXPECT_FALSE(v4->add_paths_tx);
  auto* v6 = b.channel(Family::v6);
  EXPECT_TRUE(v6->extended_next_hop);
  EXPECT_TRUE(v6->next_hop_keep);

  auto& unnamed = c.bgp[1];
  EXPECT_EQ(unnamed.name, "bgp1");
  EXPECT_EQ(unnamed.multihop, 64u);
  EXPECT_TRUE(unnamed.passive);
  EXPECT_TRUE(unnamed.disabled);
  EXPECT_EQ(unnamed.allow_local_as_count, 2u);
  EXPECT_EQ(unnamed.default_local_pref, 90u);
  EXPECT_EQ(unnamed.default_med, 5u);
  EXPECT_TRUE(unnamed.deterministic_med);
  EXPECT_TRUE(unnamed.prefer_older);
  EXPECT_EQ(unnamed.channels[0].import_policy.text.rfind("where ", 0), 0u);
}

TEST(GoodConfigs, BgpWithoutChannelsGetsTheNeighborsFamily) {
  Config c = parse_config_text(
      "protocol bgp a { local as 1; neighbor 192.0.2.1 as 2; }\n"
      "protocol bgp b { local as 1; neighbor 2001:db8::1 as 1; }\n");
  ASSERT_EQ(c.bgp[0].channels.size(), 1u);
  EXPECT_EQ(c.bgp[0].channels[0].family, Family::v4);
  EXPECT_EQ(c.bgp[0].channels[0].import_policy.kind, Policy::Kind::none);
  EXPECT_EQ(c.bgp[1].channels[0].family, Family::v6);
  EXPECT_EQ(c.bgp[1].channels[0].import_policy.kind, Policy::Kind::all);
  EXPECT_EQ(c.bgp[1].channels[0].export_policy.kind, Policy::Kind::none);
}

TEST(GoodConfigs, DefaultNamesCountPerProtocolType) {
  Config c = parse_config_text(
      "protocol static { ipv4; }\nprotocol static { ipv6; }\nprotocol kernel { ipv4; }\n");
  EXPECT_EQ(c.statics[0].name, "static1");
  EXPECT_EQ(c.statics[1].name, "static2");
  EXPECT_EQ(c.kernel[0].name, "kernel1");
}

// ---- the bpfrouter block ----------------------------------------------------------------

TEST(FastPath, EverySettingIsRead) {
  Config c = parse_config_file(data_dir + "/bpfrouter/full.conf");
  auto& f = c.fast_path;
  using I = FastPathInterface;
  EXPECT_TRUE(f.present);
  EXPECT_EQ(f.pin_root, "/sys/fs/bpf/bpfrouter-test");
  ASSERT_EQ(f.interfaces.size(), 5u);
  EXPECT_EQ(f.interfaces[0].role, I::Role::upstream);
  EXPECT_EQ(f.interfaces[0].mode, I::Mode::native);
  EXPECT_EQ(f.interfaces[0].urpf, I::Urpf::strict);
  EXPECT_EQ(f.interfaces[1].mode, I::Mode::generic);
  EXPECT_EQ(f.interfaces[1].urpf, I::Urpf::loose);
  EXPECT_EQ(f.interfaces[2].kind, I::Kind::dummy);
  EXPECT_EQ(f.interfaces[3].kind, I::Kind::l3);
  EXPECT_EQ(f.interfaces[4].mode, I::Mode::off);
  EXPECT_FALSE(f.interfaces[4].role);

  ASSERT_TRUE(f.interface("dummy0"));
  EXPECT_EQ(f.interface("dummy0")->kind, I::Kind::dummy);
  EXPECT_EQ(f.interface("wg7")->kind, I::Kind::l3);
  EXPECT_EQ(f.interface("eth3"), nullptr);

  EXPECT_TRUE(f.bogons.invalid);
  EXPECT_TRUE(f.bogons.own);
  EXPECT_TRUE(f.bogons.documentation);
  EXPECT_FALSE(f.bogons.private_);
  EXPECT_TRUE(f.bogons.unallocated);
  EXPECT_EQ(f.lists.source_drop, (std::vector<Prefix>{net("192.0.2.0/24"), net("2001:db8:dead::/48")}));
  EXPECT_EQ(f.lists.source_allow, (std::vector<Prefix>{net("198.51.100.7/32")}));
  EXPECT_EQ(f.lists.destination_drop, (std::vector<Prefix>{net("203.0.113.0/24")}));
  EXPECT_EQ(f.lists.destination_allow, (std::vector<Prefix>{net("2001:db8:1234:ffff::/64")}));
  EXPECT_EQ(f.no_route, FastPathConfig::NoRoute::drop);
  EXPECT_FALSE(f.firewall_respect);
  EXPECT_EQ(f.stale_after, 120u);
  EXPECT_TRUE(f.leave_running);
  ASSERT_TRUE(f.metrics);
  EXPECT_EQ(f.metrics->address, ip("::1"));
  EXPECT_EQ(f.metrics->port, 9333);
  EXPECT_EQ(f.metrics->label_limit, 500u);
  EXPECT_EQ(f.counters.max_prefixes, 10000u);
  EXPECT_EQ(f.counters.min_length_v4, 16);
  EXPECT_EQ(f.counters.min_length_v6, 32);

  // The included bird.conf is all there.
  EXPECT_EQ(c.bgp.size(), 3u);
}

TEST(FastPath, EmptyBlockKeepsDefaults) {
  Config c = parse_config_file(data_dir + "/bpfrouter/defaults.conf");
  FastPathConfig defaults;
  defaults.present = true;
  EXPECT_EQ(c.fast_path, defaults);
  EXPECT_FALSE(c.fast_path.metrics);
  EXPECT_TRUE(c.fast_path.bogons.invalid);
  EXPECT_FALSE(c.fast_path.bogons.documentation);
  EXPECT_EQ(c.fast_path.no_route, FastPathConfig::NoRoute::pass);
  EXPECT_TRUE(c.fast_path.firewall_respect);
  EXPECT_FALSE(c.fast_path.leave_running);
}

struct BlockErrorRow {
  const char* name;
  const char* block;
  const char* message;
};

TEST(FastPath, BadSettingsAreRefused) {
  const BlockErrorRow rows[] = {
      {"unknown setting", "frobnicate on;", "syntax error"},
      {"unknown role", "interface \"eth0\" { role transit; };", "syntax error"},
      {"relative pin root", "pin root \"bpf\";", "Pin root must be an absolute path"},
      {"port zero", "metrics { port 0; };", "Port must be in range 1-65535"},
      {"prefix length too long", "counters { min length v4 33; };", "Invalid prefix length"},
      {"prefix pattern in a drop list", "source drop [ 10.0.0.0/8+ ];", "syntax error"},
      {"on/off expected", "firewall respect maybe;", "syntax error"},
  };
  for (auto& row : rows) {
    std::string text = fmt::format("bpfrouter {{\n  {}\n}}\nprotocol device {{ }}\n", row.block);
    try {
      parse_config_text(text, "b.conf");
      ADD_FAILURE() << row.name << ": accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.message.substr(0, std::string(row.message).size()), row.message)
          << row.name << ": " << e.what();
      EXPECT_EQ(e.where.line, 2) << row.name;
    }
  }
}

// ---- bad configurations: same verdict and line as bird -p -------------------------------

TEST(BadConfigs, RefusedOnTheSameLineAsBird) {
  auto files = conf_files(data_dir + "/bad");
  ASSERT_GE(files.size(), 20u);
  for (auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    std::string file;
    int line = -1;
    try {
      parse_config_file(path);
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      file = fs::path(e.where.file).filename();
      line = e.where.line;
      EXPECT_NE(std::string(e.what()).find(fmt::format(":{}:", line)), std::string::npos);
    }
    if (!bird_available())
      continue;
    auto bird = bird_parse(path);
    EXPECT_FALSE(bird.ok) << "bird accepts it";
    EXPECT_EQ(line, bird.line) << "bird: " << bird.output;
    EXPECT_EQ(file, bird.file) << "bird: " << bird.output;
  }
  if (!bird_available())
    GTEST_SKIP() << "bird (bird2 package) is not installed: comparison with bird -p skipped";
}

// BIRD features bpfrouter lacks: BIRD accepts these files, bpfrouter refuses them by name.
TEST(UnsupportedConfigs, RefusedWithNotSupportedByBpfrouter) {
  auto files = conf_files(data_dir + "/unsupported");
  ASSERT_GE(files.size(), 10u);
  for (auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    auto at = first.find("expect line ");
    ASSERT_NE(at, std::string::npos) << "first line must say: # expect line N";
    int want_line = std::atoi(first.c_str() + at + 12);
    try {
      parse_config_file(path);
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(e.message.find("not supported by bpfrouter"), std::string::npos) << e.what();
      EXPECT_EQ(e.where.line, want_line) << e.what();
      EXPECT_FALSE(e.word.empty());
    }
    if (bird_available()) {
      auto bird = bird_parse(path);
      EXPECT_TRUE(bird.ok) << "bird refuses it too: " << bird.output;
    }
  }
}

TEST(Errors, MessageNamesFileLineColumnAndWord) {
  try {
    parse_config_text("protocol device {\n  scan time 5;\n  frobnicate;\n}\n", "x.conf");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "x.conf:3:3: syntax error near 'frobnicate'");
  }
}

}  // namespace
}  // namespace bpfr::config
