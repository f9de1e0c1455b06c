// The block's prefix filters on real traffic in the namespace lab (tests/integration): bogon
// categories switched on in the block, and operator lists changed by `bpfrouter configure`
// while the programs stay attached, each entry's counter seen in `bpfrouter stats`.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "integration/cli_run.h"
#include "integration/router_lab.h"
#include "trafficgen.h"

namespace bpfr::integration {
namespace {

constexpr uint64_t burst = 300;
// Inside the routes to the destination, never its own address (which would answer).
constexpr const char* dst_v4 = "10.99.0.128/25";
constexpr const char* dst_v6 = "fd00:99::8000:0:0:0/65";

Prefix P(const char* s) {
  return *Prefix::parse(s);
}

class Filters : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lab::have_privileges())
      GTEST_SKIP() << "needs root, namespaces and BPF";
    lab_ = std::make_unique<RouterLab>();
  }

  void start(const std::string& block) {
    config_.block = block;
    config_.log_file = (lab_->control_socket().parent_path() / "lab.log").string();
    lab_->write_config(config_);
    lab_->start_daemon();
  }

  // Rewrites the block and applies it the way an operator would.
  void configure(const std::string& block) {
    config_.block = block;
    lab_->write_config(config_);
    auto r = bpfrouter({"-s", lab_->control_socket().string(), "configure"});
    ASSERT_EQ(r.status, 0) << r.out << r.err << lab_->daemon_log();
  }

  // Frames from the source namespace, `burst` of them at a bounded rate; all are sent.
  void send(const char* src, const char* dst) {
    trafficgen::Options o;
    o.netns_path = lab_->src().path();
    o.dev = "s0";
    o.dst_mac = trafficgen::parse_mac(lab_->r0_mac());
    auto a = *Address::parse(src);
    (a.is_v4() ? o.src_v4 : o.src_v6) = a;
    o.destinations = {P(dst)};
    o.count = burst;
    o.rate_pps = 20000;
    o.duration = std::chrono::seconds(5);
    ASSERT_EQ(trafficgen::Generator(o).run().sent, burst);
  }

  uint64_t reason(uint32_t r) const { return lab_->maps().reason_counter(r).packets; }

  // The program attached to r0, by id: the same id means nothing was reattached.
  uint32_t r0_program_id() const {
    int fd = bpf_obj_get((lab_->pin_root() / "links/xdp_r0").c_str());
    bpf_link_info info{};
    uint32_t len = sizeof info;
    bool ok = fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
    if (fd >= 0)
      close(fd);
    return ok ? info.prog_id : 0;
  }

  nlohmann::json stats() const {
    auto r =
        bpfrouter({"stats", "--json", "--interval", "0", "--pin-root", lab_->pin_root().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  // The stats row of one list entry; null if the entry is not in the maps.
  static nlohmann::json entry(const nlohmann::json& stats, const std::string& list,
                              const std::string& prefix) {
    for (const auto& f : stats["filters"])
      if (f["list"] == list && f["prefix"] == prefix)
        return f;
    return nullptr;
  }

  std::string log_file() const {
    std::ifstream in(config_.log_file);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  LabConfig config_;
  std::unique_ptr<RouterLab> lab_;
};

TEST_F(Filters, BogonCategoriesSwitchedOnInTheBlockDropSourcesOnUpstreams) {
  start("  bogons { documentation on; };\n");
  uint64_t r0_drops = lab_->maps().iface_counter(lab_->rtr().ifindex("r0")).drop_packets;

  // Documentation sources are dropped; the lab's own 10.98.0.1 (private, off) is forwarded.
  send("192.0.2.1", dst_v4);
  send("2001:db8::1", dst_v6);
  send("10.98.0.1", dst_v4);
  EXPECT_EQ(reason(BPFR_DROP_BOGON_SRC), 2 * burst);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP), burst);
  // Loopback sources are never valid: dropped by rule, whatever the categories say.
  send("127.0.0.1", dst_v4);
  EXPECT_EQ(reason(BPFR_DROP_BOGON_SRC), 3 * burst);
  EXPECT_EQ(lab_->maps().iface_counter(lab_->rtr().ifindex("r0")).drop_packets - r0_drops,
            3 * burst);

  // `private on` at run time: now the lab's private source is dropped too.
  configure("  bogons { documentation on; private on; };\n");
  send("10.98.0.1", dst_v4);
  EXPECT_EQ(reason(BPFR_DROP_BOGON_SRC), 4 * burst);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP), burst);
}

TEST_F(Filters, ListsChangeAtRunTimeWithoutReattachingAndCountEachEntry) {
  start("");
  uint32_t program = r0_program_id();
  ASSERT_NE(program, 0u);
  send("10.98.0.1", dst_v4);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP), burst);

  configure("  source drop [ 10.98.0.0/24 ];\n  destination drop fd00:99::/64;\n");
  send("10.98.0.1", dst_v4);
  send("fd00:98::1", dst_v6);
  EXPECT_EQ(reason(BPFR_DROP_SRC_LIST), burst);
  EXPECT_EQ(reason(BPFR_DROP_DST_LIST), burst);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP), burst);
  auto s = stats();
  auto src = entry(s, "source", "10.98.0.0/24");
  ASSERT_FALSE(src.is_null()) << s.dump(1);
  EXPECT_EQ(src["action"], "drop");
  EXPECT_EQ(src["packets"], burst);
  EXPECT_EQ(entry(s, "destination", "fd00:99::/64")["packets"], burst);

  // Allow wins over the documentation bogons; the dropped entries are gone from the maps.
  configure("  bogons { documentation on; };\n  source allow [ 192.0.2.0/24 ];\n");
  send("192.0.2.1", dst_v4);
  EXPECT_EQ(reason(BPFR_FORWARD_XDP), 2 * burst);
  EXPECT_EQ(reason(BPFR_DROP_BOGON_SRC), 0u);
  s = stats();
  EXPECT_EQ(entry(s, "source", "192.0.2.0/24")["packets"], burst);
  EXPECT_EQ(entry(s, "source", "192.0.2.0/24")["action"], "allow");
  EXPECT_TRUE(entry(s, "source", "10.98.0.0/24").is_null());
  EXPECT_TRUE(entry(s, "destination", "fd00:99::/64").is_null());

  // Nothing was reattached, and the reloads were logged to the configured file.
  EXPECT_EQ(r0_program_id(), program);
  std::string logged = log_file();
  EXPECT_NE(logged.find("bpfrouterd: reconfigured from"), std::string::npos) << logged;
  EXPECT_NE(logged.find("dataplane: filters: 0 own prefixes, 1 list entries"), std::string::npos)
      << logged;
}

}  // namespace
}  // namespace bpfr::integration
