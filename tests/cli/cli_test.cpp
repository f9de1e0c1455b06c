// `bpfrouter` against a control server on a private socket: exit codes, text and JSON output,
// help and version.
#include "cli/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "control/format.h"
#include "control/lab.h"
#include "control/server.h"

namespace bpfr::cli {
namespace {

using namespace control;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    char tmpl[] = "/tmp/bpfr-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl";
    registry_.on("show status", [](const Command& c) {
      return c.json ? json_reply(status_json(lab::status())) : format_status(lab::status());
    });
    registry_.on("show route", [](const Command& c) {
      if (c.value("for") == "10.99.0.1")
        return Reply::error(code::not_found, "Network not found");
      return format_routes(lab::tables(), c.has("all"), lab::now());
    });
    registry_.on("disable", [](const Command& c) {
      return Reply().add(code::disabled, *c.argument + ": disabled").finish(code::ok);
    });
    ServerOptions o;
    o.path = path_;
    server_ = std::make_unique<Server>(io_, registry_, o);
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }

  void TearDown() override {
    std::promise<void> closed;
    asio::post(io_, [&] {
      server_->close();
      closed.set_value();
    });
    closed.get_future().wait();
    io_.stop();
    thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct Result {
    int status;
    std::string out, err;
  };

  Result cli(std::vector<std::string> args) {
    for (auto& a : args)
      if (a == "SOCK")
        a = path_;
    args.insert(args.begin(), "bpfrouter");
    std::ostringstream out, err;
    int status = run(args, out, err);
    return {status, out.str(), err.str()};
  }

  std::string dir_, path_;
  asio::io_context io_;
  Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(CliTest, ExitCodesAndOutput) {
  struct Row {
    const char* name;
    std::vector<std::string> args;
    int status;
    std::string out;  // prefix of stdout
    std::string err;  // prefix of stderr
  };
  const Row rows[] = {
      {"version", {"--version"}, 0, "bpfrouter 0.1.0", ""},
      {"general help", {"--help"}, 0, "Usage: bpfrouter [-s PATH] [--json] COMMAND ...", ""},
      {"help of one command, abbreviated",
       {"sh", "ro", "--help"},
       0,
       "Usage: bpfrouter show route [PREFIX]",
       ""},
      {"help of a partial command",
       {"show", "-h"},
       0,
       "Usage:\n  bpfrouter show status\n  bpfrouter show protocols",
       ""},
      {"help of stats", {"stats", "--help"}, 0, "Usage: bpfrouter stats [--top N]", ""},
      {"no command", {}, 2, "", "Usage: bpfrouter"},
      {"unknown command",
       {"-s", "SOCK", "frobnicate"},
       2,
       "",
       "bpfrouter: syntax error at word 1 'frobnicate': unknown"},
      {"unknown option",
       {"-s", "SOCK", "show", "status", "--bogus"},
       2,
       "",
       "bpfrouter: unknown option '--bogus'"},
      {"socket without a path", {"show", "status", "-s"}, 2, "", "bpfrouter: -s needs a path"},
      {"show status",
       {"-s", "SOCK", "show", "status"},
       0,
       "BIRD 2.0.12\nRouter ID is 192.0.2.1\nHostname is vm\n",
       ""},
      {"abbreviated, socket option last",
       {"sh", "ro", "--socket", "SOCK"},
       0,
       "Table master4:\n100.65.0.0/24        unicast [upstream1 14:08:54.911] * (100) [AS64999i]\n",
       ""},
      {"error reply",
       {"-s", "SOCK", "show", "route", "for", "10.99.0.1"},
       1,
       "",
       "bpfrouter: Network not found\n"},
      {"no handler in the daemon",
       {"-s", "SOCK", "configure"},
       1,
       "",
       "bpfrouter: 'configure' is not available in this daemon\n"},
      {"control command", {"-s", "SOCK", "disable", "upstream1"}, 0, "upstream1: disabled\n", ""},
      {"daemon unreachable",
       {"-s", "/nonexistent/ctl", "show", "status"},
       3,
       "",
       "bpfrouter: cannot connect to /nonexistent/ctl: No such file or directory"},
  };
  for (const auto& row : rows) {
    auto r = cli(row.args);
    EXPECT_EQ(r.status, row.status) << row.name << "\n" << r.err;
    EXPECT_TRUE(r.out.starts_with(row.out)) << row.name << ": " << r.out;
    EXPECT_TRUE(r.err.starts_with(row.err)) << row.name << ": " << r.err;
  }
}

TEST_F(CliTest, TextOutputIsWhatBirdcPrints) {
  auto r = cli({"-s", "SOCK", "show", "status"});
  EXPECT_EQ(r.out,
            "BIRD 2.0.12\nRouter ID is 192.0.2.1\nHostname is vm\n"
            "Current server time is 2026-12-03 14:08:59.843\n"
            "Last reboot on 2026-12-03 14:08:48.903\n"
            "Last reconfiguration on 2026-12-03 14:08:48.903\n"
            "Daemon is up and running\n");
}

TEST_F(CliTest, JsonAnywhereOnTheCommandLine) {
  for (auto args : {std::vector<std::string>{"--json", "-s", "SOCK", "show", "status"},
                    std::vector<std::string>{"-s", "SOCK", "show", "--json", "status"},
                    std::vector<std::string>{"-s", "SOCK", "show", "status", "--json"}}) {
    auto r = cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["router_id"], "192.0.2.1");
    EXPECT_EQ(j["last_reboot"], "2026-12-03T14:08:48.903Z");
  }
}

TEST_F(CliTest, JsonForTextRepliesAndErrors) {
  auto r = cli({"--json", "-s", "SOCK", "disable", "upstream1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse(
                R"({"code": 0, "messages": [{"code": 9, "text": "upstream1: disabled"}]})"));

  r = cli({"--json", "-s", "SOCK", "show", "route", "for", "10.99.0.1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse(R"({"error": {"code": 8001, "message": "Network not found"}})"));
}

TEST(CliBinary, RunsAndReportsItsVersion) {
  std::string cmd = std::string(BPFR_BINARY_DIR) + "/userspace/cli/bpfrouter --version";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(std::string(buf, n), "bpfrouter 0.1.0 (control protocol of BIRD 2.0.12)\n");
}

}  // namespace
}  // namespace bpfr::cli
