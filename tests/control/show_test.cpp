// Show and protocol commands from values, against BIRD's replies to the same commands.
#include "control/show.h"

#include <gtest/gtest.h>

#include <set>

#include "control/lab.h"

namespace bpfr::control {
namespace {

class ShowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  static Command cmd(const char* line) { return std::get<Command>(parse_command(line)); }
};

TEST_F(ShowTest, ShowCommandsGiveBirdsReplies) {
  auto protocols = lab::protocols();
  auto ifaces = lab::interfaces();
  auto now = lab::now();
  struct Row {
    const char* request;
    Reply reply;
    const char* golden;
  };
  const Row rows[] = {
      {"show status", show_status(lab::status(), cmd("show status")), "show_status"},
      {"show protocols", show_protocols(protocols, cmd("show protocols"), now), "show_protocols"},
      {"show protocols all", show_protocols(protocols, cmd("show protocols all"), now),
       "show_protocols_all"},
      {"show protocols all upstream1",
       show_protocols(protocols, cmd("show protocols all upstream1"), now),
       "show_protocols_all_upstream1"},
      {"show interfaces", show_interfaces(ifaces, cmd("show interfaces")), "show_interfaces"},
      {"show interfaces summary", show_interfaces(ifaces, cmd("show interfaces summary")),
       "show_interfaces_summary"},
  };
  for (const auto& row : rows)
    EXPECT_EQ(row.reply.wire(), lab::golden(row.golden)) << row.request;
}

TEST_F(ShowTest, ProtocolNamesAndPatterns) {
  auto protocols = lab::protocols();
  auto reply = show_protocols(protocols, cmd("show protocols \"static*\""), lab::now());
  ASSERT_EQ(reply.lines().size(), 4u);
  EXPECT_TRUE(reply.lines()[1].text.starts_with("static4 "));
  EXPECT_TRUE(reply.lines()[2].text.starts_with("static6 "));
  EXPECT_EQ(show_protocols(protocols, cmd("show protocols nosuch"), lab::now()).wire(),
            "8003 No protocols match\n");
}

TEST_F(ShowTest, ProtocolCommandsGiveBirdsReplies) {
  std::vector<std::string> names = {"device1", "static4", "static6", "upstream1"};
  std::set<std::string> disabled = {"device1"};
  auto run = [&](const char* line) {
    Command c = cmd(line);
    return protocol_command(c, names, [&](const std::string& name) -> ActionResult {
      bool done = c.path() == "disable"  ? disabled.insert(name).second
                  : c.path() == "enable" ? disabled.erase(name) > 0
                                         : !disabled.contains(name);
      return {done ? Outcome::done : Outcome::already, ""};
    });
  };
  struct Row {
    const char* request;
    const char* golden;
  };
  const Row rows[] = {
      {"disable static6", "disable"},     {"disable static6", "disable_again"},
      {"enable static6", "enable"},       {"restart static4", "restart"},
      {"reload in static4", "reload_in"},
  };
  for (const auto& row : rows)
    EXPECT_EQ(run(row.request).wire(), lab::golden(row.golden)) << row.request;

  auto act = [](const std::string&) { return ActionResult{}; };
  EXPECT_EQ(protocol_command(cmd("disable nosuch"), names, act).wire(),
            "8003 No protocols match\n");
  EXPECT_EQ(protocol_command(cmd("restart \"static*\""), names, act).wire(),
            "0012-static4: restarted\n static6: restarted\n0000 \n");
  auto failing = [](const std::string&) { return ActionResult{Outcome::failed, "reload failed"}; };
  EXPECT_EQ(protocol_command(cmd("reload upstream1"), names, failing).wire(),
            "8006-upstream1: reload failed\n0000 \n");
}

}  // namespace
}  // namespace bpfr::control
