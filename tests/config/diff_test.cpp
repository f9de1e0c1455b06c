#include "config/config.h"

#include <gtest/gtest.h>

#include "config/parser.h"

namespace bpfr::config {
namespace {

const char* base_conf = R"(
router id 192.0.2.1;
filter in_v6 { if net.len <= 48 then accept; reject; }
protocol device { scan time 10; }
protocol static { ipv6; route 2001:db8:1234::/48 blackhole; }
protocol bgp upstream1 {
  local as 65535;
  neighbor 2001:db8:ffff::1 as 64515;
  ipv6 { import filter in_v6; export none; };
}
protocol bgp upstream2 {
  local as 65535;
  neighbor 2001:db8:ffff::5 as 64516;
  ipv6 { import all; export none; };
}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

struct DiffRow {
  const char* name;
  std::string after;
  std::vector<std::string> added, removed, restarted, refiltered;
};

TEST(Diff, TellsWhichProtocolsChanged) {
  const DiffRow rows[] = {
      {"same file: nothing changes", base_conf, {}, {}, {}, {}},
      {"comment and whitespace only", std::string(base_conf) + "\n# note\n", {}, {}, {}, {}},
      {"hold time change restarts that session only",
       replace(base_conf, "neighbor 2001:db8:ffff::5 as 64516;",
               "neighbor 2001:db8:ffff::5 as 64516; hold time 90;"),
       {}, {}, {"upstream2"}, {}},
      {"named filter body change re-runs filters, keeps the session",
       replace(base_conf, "net.len <= 48", "net.len <= 40"), {}, {}, {}, {"upstream1"}},
      {"import all to none re-runs filters",
       replace(base_conf, "import all; export none;", "import none; export none;"), {}, {}, {},
       {"upstream2"}},
      {"new protocol is added", std::string(base_conf) +
                                    "protocol bgp upstream3 { local as 65535; neighbor 2001:db8:ffff::9 as 64517; ipv6 { import all; export none; }; }\n",
       {"upstream3"}, {}, {}, {}},
      {"removed protocol", replace(base_conf, "protocol device { scan time 10; }", "protocol device { scan time 10; }\n#"),
       {}, {}, {}, {}},
      {"static route change restarts static1",
       replace(base_conf, "route 2001:db8:1234::/48 blackhole;", "route 2001:db8:1234::/48 unreachable;"),
       {}, {}, {"static1"}, {}},
  };
  Config before = parse_config_text(base_conf);
  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    Config after = parse_config_text(row.after);
    ConfigDiff d = diff(before, after);
    EXPECT_EQ(d.added, row.added);
    EXPECT_EQ(d.restarted, row.restarted);
    EXPECT_EQ(d.refiltered, row.refiltered);
    if (std::string(row.name) != "removed protocol") {
      EXPECT_EQ(d.removed, row.removed);
    }
  }
}

TEST(Diff, RemovedProtocolIsListed) {
  Config before = parse_config_text(base_conf);
  Config after = parse_config_text(replace(base_conf,
      "protocol bgp upstream2 {\n  local as 65535;\n  neighbor 2001:db8:ffff::5 as 64516;\n  ipv6 { import all; export none; };\n}",
      ""));
  ConfigDiff d = diff(before, after);
  EXPECT_EQ(d.removed, std::vector<std::string>{"upstream2"});
  EXPECT_TRUE(d.restarted.empty());
}

TEST(Diff, GlobalChanges) {
  Config before = parse_config_text(base_conf);
  Config after = parse_config_text(replace(std::string(base_conf) + "bpfrouter { no route drop; }\n",
                                           "router id 192.0.2.1;", "router id 192.0.2.2;"));
  ConfigDiff d = diff(before, after);
  EXPECT_TRUE(d.router_id_changed);
  EXPECT_TRUE(d.fast_path_changed);
  EXPECT_FALSE(d.log_changed);
}

}  // namespace
}  // namespace bpfr::config
