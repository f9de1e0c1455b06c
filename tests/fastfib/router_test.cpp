// The real xdp_router program, loaded the way the daemon loads it (Dataplane::load, fast tables
// sized, filled through mmap by put_route), against a plain longest-prefix match: a full table,
// heavy churn, uRPF, a restart that adopts the pinned tries, lookups during churn, and the
// tables switched off. Each packet goes through BPF_PROG_TEST_RUN; the next hop it left through
// is read from its new destination MAC. Needs root.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "bpf/packet.h"
#include "common/prefix_list.h"
#include "dataplane/dataplane.h"
#include "dataplane/encode.h"
#include "fastfib/reference.h"

namespace bpfr::dp {
namespace {

using testing::random_inside;
using testing::ReferenceLpm;

constexpr uint32_t kLo = 1;  // test runs need a device that exists
constexpr uint32_t kNexthops = 500;
constexpr uint32_t kFlipA = kNexthops + 1;  // used only by the routes that flip
constexpr uint32_t kFlipB = kNexthops + 2;
constexpr int kNoRoute = -1;    // XDP_PASS, BPFR_PASS_NO_ROUTE
constexpr int kBlackhole = -2;  // XDP_DROP
constexpr int kUrpfDrop = -3;

// Next hop `id` rewrites the destination MAC to 02:00:00:00:hi:lo.
bpfr_nexthop nexthop(uint32_t id) {
  bpfr_nexthop nh{};
  nh.ifindex = kLo;
  nh.kind = BPFR_NH_ETHERNET;
  nh.flags = BPFR_NH_F_VALID | BPFR_NH_F_MAC;
  const uint8_t dmac[6] = {0x02, 0, 0, 0, uint8_t(id >> 8), uint8_t(id)};
  const uint8_t smac[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0x00};
  std::copy(std::begin(dmac), std::end(dmac), nh.dmac);
  std::copy(std::begin(smac), std::end(smac), nh.smac);
  return nh;
}

FibResult forward(uint32_t nh) {
  return FibResult{BPFR_SLOT_AGGREGATE, nh, BPFR_ROUTE_FORWARD, 0};
}
FibResult blackhole() {
  return FibResult{BPFR_SLOT_AGGREGATE, BPFR_NEXTHOP_NONE, BPFR_ROUTE_BLACKHOLE, 0};
}

int outcome_of(const std::optional<FibResult>& r) {
  if (!r)
    return kNoRoute;
  return r->action == BPFR_ROUTE_BLACKHOLE ? kBlackhole : int(r->nexthop);
}

// Destinations the program hands to the kernel before any route lookup (classify.h).
bool before_lookup(const Address& a) {
  if (a.is_v4())
    return a.bytes[0] >= 224 || (a.bytes[0] == 169 && a.bytes[1] == 254);
  return a.bytes[0] == 0xff || (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80);
}

class Frames {
 public:
  Frames()
      : v4_(test::frame(test::L2{}, test::Ipv4{"192.0.2.1", "198.51.100.1"})),
        v6_(test::frame(test::L2{}, test::Ipv6{"2001:db8:9::1", "2001:db8:2::1"})) {}

  // A frame to dst, from src (the template's source when unset).
  const test::Bytes& to(const Address& dst, const std::optional<Address>& src = std::nullopt) {
    if (dst.is_v4()) {
      std::copy_n(dst.bytes.begin(), 4, v4_.begin() + 14 + 16);
      if (src)
        std::copy_n(src->bytes.begin(), 4, v4_.begin() + 14 + 12);
      v4_[14 + 10] = v4_[14 + 11] = 0;
      uint16_t csum = test::internet_checksum(std::span(v4_).subspan(14, 20));
      v4_[14 + 10] = uint8_t(csum >> 8);
      v4_[14 + 11] = uint8_t(csum);
      return v4_;
    }
    std::copy_n(dst.bytes.begin(), 16, v6_.begin() + 14 + 24);
    if (src)
      std::copy_n(src->bytes.begin(), 16, v6_.begin() + 14 + 8);
    return v6_;
  }

 private:
  test::Bytes v4_;
  test::Bytes v6_;
};

// One packet through the program: the next hop it left through, or what else became of it.
int run_packet(int prog_fd, const test::Bytes& frame) {
  uint8_t out[256];
  xdp_md ctx{};
  ctx.data_end = uint32_t(frame.size());
  ctx.ingress_ifindex = kLo;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out,
              .data_size_in = uint32_t(frame.size()), .data_size_out = sizeof out, .ctx_in = &ctx,
              .ctx_size_in = sizeof ctx);
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
    return INT32_MIN;
  switch (opts.retval) {
    case XDP_REDIRECT:
      return out[4] << 8 | out[5];
    case XDP_PASS:
      return kNoRoute;
    case XDP_DROP:
      return kBlackhole;
    default:
      return INT32_MIN + 1;
  }
}

class FastFibRouter : public ::testing::Test {
 protected:
  void SetUp() override {
    static int serial = 0;
    pin_root_ = fmt::format("/sys/fs/bpf/bpfr_fastfib_test_{}_{}", getpid(), serial++);
  }

  void TearDown() override {
    dp_.reset();
    std::error_code ec;
    std::filesystem::remove_all(pin_root_, ec);
  }

  void load(bool fast = true) {
    DataplaneOptions o;
    o.pin_root = pin_root_;
    o.fast_lookup_v4 = o.fast_lookup_v6 = fast;
    dp_ = Dataplane::load(o);
  }

  // An internal device without source filters, next hops 1..kNexthops on it, forwarding on.
  void configure(uint8_t urpf = BPFR_URPF_OFF) {
    ASSERT_TRUE(dp_->write_settings(true, false, 0));
    ASSERT_TRUE(dp_->set_tx_port(kLo));
    IfaceSettings s;
    s.role = BPFR_ROLE_INTERNAL;
    s.urpf = urpf;
    ASSERT_TRUE(dp_->set_iface(kLo, s));
    for (uint32_t id = 1; id <= kFlipB; id++)
      ASSERT_TRUE(dp_->put_nexthop(id, nexthop(id)));
  }

  void apply(const Prefix& p, const std::optional<FibResult>& r) {
    auto& ref = p.family() == Family::v4 ? ref4_ : ref6_;
    if (r) {
      ASSERT_TRUE(
          dp_->put_route(p, encode_route(bpfr_route_action(r->action), r->nexthop, r->slot, 0)))
          << p;
      ref.set(p, *r);
    } else {
      ASSERT_TRUE(dp_->delete_route(p)) << p;
      ref.remove(p);
    }
  }

  // The real table, topped up to a full one: 1,000,000 IPv4 and 230,000 IPv6 prefixes.
  void load_full_table(size_t v4 = 1'000'000, size_t v6 = 230'000) {
    auto list = read_prefix_list(testing::isp_table_path());
    ASSERT_GT(list.prefixes.size(), 1'000'000u)
        << "the ISP table is missing: " << testing::isp_table_path();
    std::mt19937_64 rng(21);
    std::vector<Prefix> of4, of6;
    for (const auto& p : list.prefixes)
      (p.family() == Family::v4 ? of4 : of6).push_back(p);
    of4.resize(std::min(of4.size(), v4));
    of6.resize(std::min(of6.size(), v6));
    top_up_prefixes(of4, Family::v4, v4, rng);
    top_up_prefixes(of6, Family::v6, v6, rng);

    auto start = std::chrono::steady_clock::now();
    uint32_t n = 0;
    for (const auto* family : {&of4, &of6})
      for (const auto& p : *family) {
        apply(p, forward(1 + n++ % kNexthops));
        prefixes_.push_back(p);
      }
    std::printf("fastfib router: %zu routes into tries and tables in %.1f s\n", prefixes_.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // Random destinations of a family: most inside prefixes of the table, one in eight anywhere.
  std::vector<Address> destinations(Family family, size_t count, std::mt19937_64& rng) const {
    std::vector<Address> addrs;
    addrs.reserve(count);
    while (addrs.size() < count) {
      const Prefix& p = prefixes_[rng() % prefixes_.size()];
      if (p.family() != family)
        continue;
      Address a = rng() % 8 ? random_inside(p, rng) : random_inside(Prefix::make(p.addr, 0), rng);
      if (!before_lookup(a))
        addrs.push_back(a);
    }
    return addrs;
  }

  void expect_agreement(Family family, size_t count, unsigned seed) {
    std::mt19937_64 rng(seed);
    const auto& ref = family == Family::v4 ? ref4_ : ref6_;
    Frames frames;
    int fd = dp_->xdp_prog_fd();
    size_t forwarded = 0;
    for (const auto& a : destinations(family, count, rng)) {
      int got = run_packet(fd, frames.to(a));
      int want = outcome_of(ref.lookup(a));
      ASSERT_EQ(got, want) << a;
      forwarded += got > 0;
    }
    std::printf("fastfib router: %zu %s destinations agree, %zu forwarded\n", count,
                family == Family::v4 ? "IPv4" : "IPv6", forwarded);
  }

  // Loose uRPF: a source passes only with a route that forwards.
  void expect_urpf_agreement(Family family, size_t count, unsigned seed) {
    std::mt19937_64 rng(seed);
    const auto& ref = family == Family::v4 ? ref4_ : ref6_;
    Frames frames;
    int fd = dp_->xdp_prog_fd();
    Address routed{family};
    int to_routed = 0;
    for (size_t i = 0; to_routed <= 0; i++) {
      ASSERT_LT(i, prefixes_.size()) << "no forwarding route";
      routed = prefixes_[i].addr;
      to_routed = routed.family == family ? outcome_of(ref.lookup(routed)) : 0;
    }
    for (const auto& src : destinations(family, count, rng)) {
      int got = run_packet(fd, frames.to(routed, src));
      auto r = ref.lookup(src);
      int want = r && r->action == BPFR_ROUTE_FORWARD ? to_routed : kBlackhole;  // XDP_DROP
      ASSERT_EQ(got, want) << "source " << src;
    }
  }

  // Withdrawals, next-hop changes, more specifics down to host routes, blackholes, /0.
  void churn(int rounds, std::mt19937_64& rng) {
    for (const char* text : {"0.0.0.0/0", "::/0", "192.0.2.1/32", "2001:db8::1/128",
                             "2001:db8::/32", "2001:db8:1:2::/64"})
      apply(*Prefix::parse(text), forward(7));
    for (int i = 0; i < rounds; i++) {
      const Prefix& p = prefixes_[rng() % prefixes_.size()];
      switch (rng() % 5) {
        case 0:
          apply(p, std::nullopt);
          break;
        case 1:
          apply(p, forward(1 + rng() % kNexthops));
          break;
        case 2: {
          unsigned len = std::min(p.addr.bits(), unsigned(p.len + 1 + rng() % 12));
          Prefix more = Prefix::make(random_inside(p, rng), len);
          apply(more, forward(1 + rng() % kNexthops));
          prefixes_.push_back(more);
          break;
        }
        case 3:
          apply(p, blackhole());
          break;
        default:
          apply(Prefix::make(p.addr, p.len > 4 ? p.len - 1 - rng() % 4 : 0),
                forward(1 + rng() % kNexthops));
      }
    }
    apply(*Prefix::parse("0.0.0.0/0"), std::nullopt);
  }

  std::string pin_root_;
  std::unique_ptr<Dataplane> dp_;
  ReferenceLpm ref4_{Family::v4};
  ReferenceLpm ref6_{Family::v6};
  std::vector<Prefix> prefixes_;
};

TEST_F(FastFibRouter, FullTableChurnAndRestartAgreeWithReference) {
  load();
  configure();
  load_full_table();
  ASSERT_NE(dp_->fast_table(Family::v6), nullptr);
  EXPECT_EQ(dp_->fast_table(Family::v6)->overflowed(), 0u) << "a full table fits the nodes";
  expect_agreement(Family::v4, 1'000'000, 1);
  expect_agreement(Family::v6, 500'000, 2);

  std::mt19937_64 rng(3);
  churn(100'000, rng);
  expect_agreement(Family::v4, 500'000, 4);
  expect_agreement(Family::v6, 250'000, 5);

  IfaceSettings loose;
  loose.urpf = BPFR_URPF_LOOSE;
  ASSERT_TRUE(dp_->set_iface(kLo, loose));
  expect_urpf_agreement(Family::v4, 50'000, 6);
  expect_urpf_agreement(Family::v6, 50'000, 7);

  // A restart: the next load adopts the pinned tries and answers as they do from its first
  // packet, before anything is written.
  dp_.reset();
  auto start = std::chrono::steady_clock::now();
  load();
  std::printf("fastfib router: restart, fast tables rebuilt from the tries in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ASSERT_TRUE(dp_->set_iface(kLo, IfaceSettings{}));  // uRPF off again
  expect_agreement(Family::v4, 250'000, 8);
  expect_agreement(Family::v6, 100'000, 9);
}

// Lookups through the program on one core while the other moves routes between two next hops:
// every answer is the old or the new one.
TEST_F(FastFibRouter, LookupsDuringChurnSeeTheOldOrTheNewNextHop) {
  load();
  configure();
  load_full_table(200'000, 40'000);

  std::mt19937_64 rng(10);
  struct Flip {
    Prefix prefix;
    bool withdrawn;  // a more specific one, withdrawn and restored: nodes are freed and reused
  };
  std::vector<Flip> flipping;
  while (flipping.size() < 3000) {
    Prefix p = prefixes_[rng() % prefixes_.size()];
    bool more_specific = rng() % 3 == 0;
    if (more_specific)
      p = Prefix::make(random_inside(p, rng), std::min(p.addr.bits(), unsigned(p.len + 4)));
    // Withdrawing a route of the table would leave a cover other than the one noted below.
    if (!more_specific || !(p.family() == Family::v4 ? ref4_ : ref6_).has(p))
      flipping.push_back({p, more_specific});
  }
  std::vector<Address> addrs;
  std::vector<int> cover;  // the answer without any flipping route
  for (const auto& f : flipping) {
    addrs.push_back(random_inside(f.prefix, rng));
    cover.push_back(outcome_of((addrs.back().is_v4() ? ref4_ : ref6_).lookup(addrs.back())));
  }
  for (const auto& f : flipping)
    apply(f.prefix, forward(kFlipA));
  std::vector<int> before;
  for (const auto& a : addrs)
    before.push_back(outcome_of((a.is_v4() ? ref4_ : ref6_).lookup(a)));

  // The writer alone writes: each round moves every flipping route to the other next hop, or
  // withdraws it and puts it back.
  std::atomic<bool> stop = false;
  std::atomic<int> rounds = 0;
  std::jthread writer([&] {
    for (int round = 0; !stop; round = ++rounds)
      for (size_t i = 0; i < flipping.size() && !stop; i++) {
        const Flip& f = flipping[i];
        bool ok = f.withdrawn && round % 2
                      ? dp_->delete_route(f.prefix)
                      : dp_->put_route(f.prefix,
                                       encode_route(BPFR_ROUTE_FORWARD, round % 2 ? kFlipB : kFlipA,
                                                    BPFR_SLOT_AGGREGATE, 0));
        if (!ok)
          stop = true;
      }
  });
  struct StopWriter {
    std::atomic<bool>& stop;
    ~StopWriter() { stop = true; }
  } stop_on_exit{stop};

  Frames frames;
  int fd = dp_->xdp_prog_fd();
  size_t checked = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < addrs.size(); i++) {
      int got = run_packet(fd, frames.to(addrs[i]));
      if (before[i] == int(kFlipA))
        ASSERT_TRUE(got == int(kFlipA) || got == int(kFlipB) || got == cover[i])
            << addrs[i] << " got " << got;
      else
        ASSERT_EQ(got, before[i]) << addrs[i];  // a more specific route decides
      checked++;
    }
  }
  stop = true;
  writer.join();
  std::printf(
      "fastfib router: %zu lookups during %d rounds of churn, each the old or the new "
      "next hop\n",
      checked, rounds.load());
  EXPECT_GT(rounds.load(), 2) << "the writer must churn while the lookups run";
}

TEST_F(FastFibRouter, SwitchedOffTheTriesAnswerAlone) {
  load(false);
  configure();
  EXPECT_EQ(dp_->fast_table(Family::v4), nullptr);
  EXPECT_EQ(dp_->fast_table(Family::v6), nullptr);
  load_full_table(20'000, 5'000);
  expect_agreement(Family::v4, 50'000, 11);
  expect_agreement(Family::v6, 20'000, 12);
}

}  // namespace
}  // namespace bpfr::dp
