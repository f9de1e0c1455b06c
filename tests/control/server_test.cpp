// The control server on a private socket: framing, limits, bad input, and birdc itself.
#include "control/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "control/client.h"
#include "control/format.h"
#include "control/lab.h"
#include "control/route_query.h"
#include "control/show.h"

namespace bpfr::control {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    char tmpl[] = "/tmp/bpfr-control-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/bpfrouter.ctl";

    registry_.on("show status", [](const Command& c) {
      return c.json ? json_reply(status_json(lab::status())) : format_status(lab::status());
    });
    registry_.on("show protocols",
                 [](const Command& c) { return show_protocols(lab::protocols(), c, lab::now()); });
    registry_.on("show route", [](const Command& c) {
      auto q = route_query(c);
      if (auto* err = std::get_if<Reply>(&q))
        return *err;
      return show_route(lab::tables(), std::get<RouteQuery>(q), lab::now());
    });
    registry_.on("show interfaces",
                 [](const Command& c) { return show_interfaces(lab::interfaces(), c); });
    registry_.on("disable", [](const Command& c) {
      return Reply().add(code::disabled, *c.argument + ": disabled").finish(code::ok);
    });
  }

  void start(ServerOptions o = {}) {
    o.path = path_;
    server_ = std::make_unique<Server>(io_, registry_, o);
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      std::promise<void> closed;
      asio::post(io_, [&] {
        server_->close();
        closed.set_value();
      });
      closed.get_future().wait();
      io_.stop();
      thread_.join();
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  Client connect() {
    auto c = Client::connect(path_, 5s);
    if (auto* err = std::get_if<std::string>(&c))
      ADD_FAILURE() << *err;
    return std::move(std::get<Client>(c));
  }

  static std::string text(const Client::Lines& lines) {
    std::string out;
    for (const auto& l : lines)
      out += fmt::format("{:04d}{}{}\n", l.code, l.final ? ' ' : '-', l.text);
    return out;
  }

  static Client::Lines ask(Client& c, std::string_view line) {
    auto r = c.request(line);
    if (auto* err = std::get_if<std::string>(&r)) {
      ADD_FAILURE() << line << ": " << *err;
      return {};
    }
    return std::get<Client::Lines>(r);
  }

  std::string dir_, path_;
  asio::io_context io_;
  Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p)
    return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  pclose(p);
  return out;
}

TEST_F(ServerTest, GreetsAndAnswersLikeBird) {
  start();
  auto c = connect();
  EXPECT_EQ(c.greeting(), "BIRD 2.0.12 ready.");
  auto lines = ask(c, "show status");
  ReplyDecoder d;
  d.feed(lab::golden("show_status"));
  std::vector<ReplyDecoder::Line> want;
  while (auto l = d.next())
    want.push_back(*l);
  ASSERT_EQ(lines.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(lines[i].code, want[i].code);
    EXPECT_EQ(lines[i].text, want[i].text);
  }
}

TEST_F(ServerTest, SocketHasTheConfiguredModeAndGroup) {
  ServerOptions o;
  o.mode = 0640;
  o.group = "root";
  start(o);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_gid, 0u);
}

TEST_F(ServerTest, AnUnknownGroupIsAStartUpError) {
  ServerOptions o;
  o.path = path_;
  o.group = "no-such-group-bpfr";
  try {
    Server s(io_, registry_, o);
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "control socket " + path_ + ": no group 'no-such-group-bpfr'");
  }
}

TEST_F(ServerTest, ClientsThatVanishOrSendJunkLeaveItServing) {
  start();
  auto raw = [&](const std::string& bytes) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
      (void)!write(fd, bytes.data(), bytes.size());
    close(fd);  // without reading the replies
  };
  raw("show route all\n");
  raw(std::string(100000, 'x'));
  uint32_t seed = 1;
  for (int i = 0; i < 50; i++) {
    std::string junk;
    for (int j = 0; j < 300; j++) {
      seed = seed * 1103515245 + 12345;
      junk += char(seed >> 16);
    }
    raw(junk + "\n");
  }
  auto c = connect();
  EXPECT_EQ(ask(c, "show status").back().code, code::status_report);
}

TEST_F(ServerTest, BadRequestsGetErrorsAndTheConnectionStays) {
  ServerOptions o;
  o.max_line = 64;
  start(o);
  auto c = connect();
  struct Row {
    std::string request;
    std::string reply;
  };
  const Row rows[] = {
      {"foo",
       "9001 syntax error at word 1 'foo': unknown, expected show, enable, disable, restart, "
       "reload, configure, down or restrict\n"},
      {"", "9001 syntax error: empty command\n"},
      {std::string(100, 'x'), "9000 Command too long: over 64 bytes\n"},
      {"configure", "8090 'configure' is not available in this daemon\n"},
      {std::string("show \x01\xff status"),
       "9001 syntax error at word 2 '\x01\xff': unknown, expected status, protocols, route or "
       "interfaces\n"},
      {"disable x", "0009-x: disabled\n0000 \n"},
  };
  for (const auto& row : rows)
    EXPECT_EQ(text(ask(c, row.request)), row.reply) << row.request;
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string requests = "disable a\ndisable b\r\ndisable c\n";
  ASSERT_EQ(write(fd, requests.data(), requests.size()), ssize_t(requests.size()));
  std::string want =
      "0001 BIRD 2.0.12 ready.\n0009-a: disabled\n0000 \n0009-b: disabled\n0000 \n"
      "0009-c: disabled\n0000 \n";
  std::string got;
  char buf[4096];
  while (got.size() < want.size()) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    got.append(buf, size_t(n));
  }
  close(fd);
  EXPECT_EQ(got, want);
}

TEST_F(ServerTest, RepliesStillGoOutAfterTheClientStopsSending) {
  start();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string request = "disable a\n";
  ASSERT_EQ(write(fd, request.data(), request.size()), ssize_t(request.size()));
  shutdown(fd, SHUT_WR);  // as `echo ... | socat - UNIX-CONNECT:...` does
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    got.append(buf, size_t(n));
  close(fd);
  EXPECT_EQ(got, "0001 BIRD 2.0.12 ready.\n0009-a: disabled\n0000 \n");
}

TEST_F(ServerTest, TheClientRefusesANewlineInARequest) {
  start();
  auto c = connect();
  auto r = c.request("disable a\ndisable b");
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_EQ(std::get<std::string>(r), "a request cannot hold a newline");
}

TEST_F(ServerTest, RestrictRefusesControlCommands) {
  start();
  auto c = connect();
  EXPECT_EQ(text(ask(c, "restrict")), "0016 Access restricted\n");
  EXPECT_EQ(text(ask(c, "disable x")),
            "8007 Access denied: 'disable' on a restricted connection\n");
  EXPECT_EQ(ask(c, "show status").back().code, code::status_report);
}

TEST_F(ServerTest, JsonRequestsGetADocument) {
  start();
  auto c = connect();
  auto lines = ask(c, "json show status");
  std::string doc;
  for (const auto& l : lines)
    if (l.code == code::json)
      doc += l.text + "\n";
  auto j = nlohmann::json::parse(doc);
  EXPECT_EQ(j["router_id"], "192.0.2.1");
  EXPECT_EQ(lines.back().code, code::ok);
}

TEST_F(ServerTest, RefusesClientsBeyondTheLimit) {
  ServerOptions o;
  o.max_clients = 2;
  start(o);
  auto a = connect();
  auto b = connect();
  auto third = Client::connect(path_, 5s);
  ASSERT_TRUE(std::holds_alternative<std::string>(third));
  EXPECT_EQ(std::get<std::string>(third),
            path_ + ": Too many control connections (2), try again later");
  EXPECT_EQ(ask(a, "show status").back().code, code::status_report);
}

TEST_F(ServerTest, ASecondServerOnALiveSocketIsRefused) {
  start();
  asio::io_context other;
  ServerOptions o;
  o.path = path_;
  try {
    Server second(other, registry_, o);
    FAIL() << "second server started";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "control socket " + path_ + " is in use by another daemon");
  }
}

TEST_F(ServerTest, BirdcWorksAgainstIt) {
  if (system("command -v birdc >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "birdc is not installed";
  start();
  EXPECT_EQ(run("birdc -s " + path_ + " show status"),
            "BIRD 2.0.12 ready.\n"
            "BIRD 2.0.12\n"
            "Router ID is 192.0.2.1\n"
            "Hostname is vm\n"
            "Current server time is 2026-12-03 14:08:59.843\n"
            "Last reboot on 2026-12-03 14:08:48.903\n"
            "Last reconfiguration on 2026-12-03 14:08:48.903\n"
            "Daemon is up and running\n");

  // birdc prints each line's text; it expands abbreviations itself.
  struct Row {
    const char* command;
    const char* golden;
  };
  const Row rows[] = {
      {"sh ro", "show_route"},
      {"show route all", "show_route_all"},
      {"show route count", "show_route_count"},
      {"show route for 100.64.1.1 all", "show_route_for_all"},
      {"show route for 10.99.0.1", "show_route_for_notfound"},
      {"show protocols all", "show_protocols_all"},
      {"show interfaces", "show_interfaces"},
  };
  for (const auto& row : rows) {
    ReplyDecoder d;
    d.feed(lab::golden(row.golden));
    std::string want = "BIRD 2.0.12 ready.\n";
    while (auto l = d.next())
      if (!(l->final && l->code == 0 && l->text.empty()))
        want += l->text + "\n";
    EXPECT_EQ(run("birdc -s " + path_ + " " + row.command), want) << row.command;
  }
}

}  // namespace
}  // namespace bpfr::control
