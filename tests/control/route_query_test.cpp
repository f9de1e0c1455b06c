// `show route` requests over the golden lab's tables, compared with BIRD's replies to the same
// requests (golden/*.wire), and selection rows.
#include "control/route_query.h"

#include <gtest/gtest.h>

#include "control/format.h"
#include "control/lab.h"

namespace bpfr::control {
namespace {

class RouteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }

  static Reply ask(const std::string& line) {
    auto cmd = std::get<Command>(parse_command(line));
    auto q = route_query(cmd);
    if (auto* r = std::get_if<Reply>(&q))
      return *r;
    return show_route(lab::tables(), std::get<RouteQuery>(q), lab::now());
  }
};

TEST_F(RouteQueryTest, RequestsGiveBirdsReplies) {
  struct Row {
    const char* request;
    const char* golden;
  };
  const Row rows[] = {
      {"show route", "show_route"},
      {"show route all", "show_route_all"},
      {"show route for 100.64.1.1 all", "show_route_for_all"},
      {"show route count", "show_route_count"},
      {"show route protocol static6 count", "show_route_protocol_static6_count"},
      {"show route for 10.99.0.1", "show_route_for_notfound"},
  };
  for (const auto& row : rows)
    EXPECT_EQ(ask(row.request).wire(), lab::golden(row.golden)) << row.request;
}

TEST_F(RouteQueryTest, SelectionRows) {
  struct Row {
    const char* request;
    std::vector<std::string> nets;  // selected networks, in order; empty: error
    int error = 0;
  };
  const Row rows[] = {
      {"show route for 192.0.2.77", {"192.0.2.0/24"}},
      {"show route for 2001:db8:100:1::/64", {"2001:db8:100::/48"}},
      {"show route for 2001:db8::5", {"2001:db8::/64"}},
      {"show route 10.10.0.0/16", {"10.10.0.0/16"}},
      {"show route 10.10.0.0/17", {}, code::not_found},
      {"show route table master6 protocol static6", {"2001:db8:100::/48", "2001:db8:200::/48"}},
      {"show route protocol upstream1", {"100.65.0.0/24", "100.64.0.0/16"}},
      {"show route for 100.64.0.1 protocol static4", {}, code::not_found},
      {"show route for nonsense", {}, code::syntax_error},
      {"show route 10.0.0.1", {}, code::syntax_error},
      {"show route table master9", {}, code::syntax_error},
  };
  for (const auto& row : rows) {
    auto cmd = std::get<Command>(parse_command(row.request));
    auto q = route_query(cmd);
    if (row.error) {
      Reply r = std::holds_alternative<Reply>(q)
                    ? std::get<Reply>(q)
                    : show_route(lab::tables(), std::get<RouteQuery>(q), lab::now());
      EXPECT_EQ(r.final_code(), row.error) << row.request;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<RouteQuery>(q)) << row.request;
    std::vector<std::string> nets;
    for (const auto& t : select_routes(lab::tables(), std::get<RouteQuery>(q)))
      for (const auto& r : t.routes)
        nets.push_back(r.net.str());
    EXPECT_EQ(nets, row.nets) << row.request;
  }
}

TEST_F(RouteQueryTest, JsonRouteCount) {
  auto r = ask("json show route count");
  std::string doc;
  for (const auto& l : r.lines())
    if (l.code == code::json)
      doc += l.text + "\n";
  auto j = nlohmann::json::parse(doc);
  EXPECT_EQ(j["total"]["routes"], 9);
  EXPECT_EQ(j["tables"][1]["table"], "master6");
}

}  // namespace
}  // namespace bpfr::control
