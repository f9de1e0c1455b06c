// The guide's `protocol bgp vultr` block as a session: settings and the export filter.
#include "bgp/peer_config.h"

#include <gtest/gtest.h>

#include "config/filter.h"
#include "config/parser.h"

namespace bpfr::bgp {
namespace {

// From how-to-build-your-own-isp.md, with documentation addresses filled in.
constexpr const char* kGuide = R"(
router id 192.0.2.10;
protocol device { scan time 5; }
protocol bgp vultr {
        description "Vultr";
        local 2001:db8:ffff::10 as 65535;
        neighbor 2001:19f0:ffff::1 as 64515;
        multihop 2;
        password "bgpPassword";
        ipv6 {
                import all;
                export filter {
                        if net = 2001:DB8:1234::/48 then accept;
                };
        };
}
)";

TEST(PeerConfig, GuideBlockBecomesASession) {
  auto cfg = config::parse_config_text(kGuide);
  ASSERT_EQ(cfg.bgp.size(), 1u);
  auto c = peer_config(cfg.bgp[0]);
  EXPECT_EQ(c.name, "vultr");
  EXPECT_EQ(c.neighbor, *Address::parse("2001:19f0:ffff::1"));
  EXPECT_EQ(c.local_as, 65535u);
  EXPECT_EQ(c.peer_as, 64515u);
  EXPECT_EQ(c.multihop, 2u);
  EXPECT_EQ(c.password, "bgpPassword");
  EXPECT_EQ(c.source_address, *Address::parse("2001:db8:ffff::10"));
  EXPECT_TRUE(c.ipv6);
  EXPECT_FALSE(c.ipv4);
}

TEST(PeerConfig, GuideExportFilterPassesOnlyOurPrefix) {
  auto cfg = config::parse_config_text(kGuide);
  auto c = peer_config(cfg.bgp[0]);
  PolicyRoute ours{
      *Prefix::parse("2001:db8:1234::/48"), {}, {}, nullptr, "static1", RouteSource::static_};
  PolicyRoute other{
      *Prefix::parse("2001:db8:9999::/48"), {}, {}, nullptr, "static1", RouteSource::static_};
  EXPECT_TRUE(c.ipv6->export_policy.run(ours, true));
  EXPECT_FALSE(c.ipv6->export_policy.run(other, true));
  PolicyRoute learned{*Prefix::parse("::/0"), {}, {}, nullptr, "vultr", RouteSource::bgp};
  EXPECT_TRUE(c.ipv6->import_policy.run(learned, true));
}

TEST(PeerConfig, FilterChangesReachTheAttributes) {
  auto f = filter::compile("{ bgp_local_pref = 250; bgp_med = 7; accept; }");
  config::Policy p;
  p.kind = config::Policy::Kind::filter;
  p.filter = f;
  PolicyRoute r{*Prefix::parse("10.0.0.0/8"), {}, {}, nullptr, "upstream", RouteSource::bgp};
  r.attrs.origin = Origin::igp;
  ASSERT_TRUE(policy(p).run(r, true));
  EXPECT_EQ(r.attrs.local_pref, 250u);
  EXPECT_EQ(r.attrs.med, 7u);
  EXPECT_EQ(r.attrs.origin, Origin::igp);
}

}  // namespace
}  // namespace bpfr::bgp
