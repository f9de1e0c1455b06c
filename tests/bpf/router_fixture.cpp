#include "bpf/router_fixture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "router.skel.h"

namespace bpfr::test {
namespace {

void check(int err, const std::string& what) {
  if (err)
    throw std::runtime_error(what + ": " + std::strerror(err < 0 ? -err : err));
}

// Small tables keep each load quick; the programs do not depend on the sizes.
void shrink_maps(router_bpf* skel) {
  for (bpf_map* map :
       {skel->maps.routes_v4, skel->maps.routes_v6, skel->maps.nexthops, skel->maps.route_stats,
        skel->maps.slot_prefixes, skel->maps.bogons_v4, skel->maps.bogons_v6, skel->maps.own_v4,
        skel->maps.own_v6, skel->maps.src_list_v4, skel->maps.src_list_v6, skel->maps.dst_list_v4,
        skel->maps.dst_list_v6, skel->maps.list_stats}) {
    check(bpf_map__set_max_entries(map, 1024), "set_max_entries");
  }
}

}  // namespace

RouterProgs::RouterProgs() {
  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0)
    throw std::runtime_error("libbpf_num_possible_cpus failed");
  skel_ = router_bpf__open();
  if (!skel_)
    throw std::runtime_error("router_bpf__open failed");
  shrink_maps(skel_);
  int err = router_bpf__load(skel_);
  if (err) {
    router_bpf__destroy(skel_);
    check(err, "router_bpf__load");
  }
}

RouterProgs::~RouterProgs() {
  router_bpf__destroy(skel_);
}

void RouterProgs::set_settings(const bpfr_settings& s) {
  uint32_t key = 0;
  check(bpf_map_update_elem(bpf_map__fd(skel_->maps.settings), &key, &s, BPF_ANY), "settings");
}

void RouterProgs::set_iface(uint32_t ifindex, const bpfr_iface& iface) {
  check(bpf_map_update_elem(bpf_map__fd(skel_->maps.ifaces), &ifindex, &iface, BPF_ANY), "ifaces");
}

void RouterProgs::del_iface(uint32_t ifindex) {
  bpf_map_delete_elem(bpf_map__fd(skel_->maps.ifaces), &ifindex);
}

void RouterProgs::set_nexthop(uint32_t id, const bpfr_nexthop& nh) {
  check(bpf_map_update_elem(bpf_map__fd(skel_->maps.nexthops), &id, &nh, BPF_ANY), "nexthops");
}

void RouterProgs::set_lpm(int map_fd, const std::string& prefix, const void* value) {
  auto p = Prefix::parse(prefix);
  if (!p)
    throw std::invalid_argument("bad prefix in test: " + prefix);
  if (p->family() == Family::v4) {
    bpfr_route_key_v4 key{p->len, {}};
    std::memcpy(key.addr, p->addr.bytes.data(), 4);
    check(bpf_map_update_elem(map_fd, &key, value, BPF_ANY), "lpm v4 " + prefix);
  } else {
    bpfr_route_key_v6 key{p->len, {}};
    std::memcpy(key.addr, p->addr.bytes.data(), 16);
    check(bpf_map_update_elem(map_fd, &key, value, BPF_ANY), "lpm v6 " + prefix);
  }
}

void RouterProgs::set_route(const std::string& prefix, const bpfr_route_value& value) {
  bool v4 = prefix.find(':') == std::string::npos;
  set_lpm(bpf_map__fd(v4 ? skel_->maps.routes_v4 : skel_->maps.routes_v6), prefix, &value);
}

void RouterProgs::set_own(const std::string& prefix) {
  bool v4 = prefix.find(':') == std::string::npos;
  uint32_t zero = 0;
  set_lpm(bpf_map__fd(v4 ? skel_->maps.own_v4 : skel_->maps.own_v6), prefix, &zero);
}

void RouterProgs::set_bogon(const std::string& prefix, uint32_t categories) {
  bool v4 = prefix.find(':') == std::string::npos;
  bpfr_bogon b{categories};
  set_lpm(bpf_map__fd(v4 ? skel_->maps.bogons_v4 : skel_->maps.bogons_v6), prefix, &b);
}

void RouterProgs::set_list(bool source, const std::string& prefix, const bpfr_list_entry& e) {
  bool v4 = prefix.find(':') == std::string::npos;
  bpf_map* map = source ? (v4 ? skel_->maps.src_list_v4 : skel_->maps.src_list_v6)
                        : (v4 ? skel_->maps.dst_list_v4 : skel_->maps.dst_list_v6);
  set_lpm(bpf_map__fd(map), prefix, &e);
}

void RouterProgs::set_kpath(bool source, const std::string& prefix, const bpfr_list_entry& e) {
  bool v4 = prefix.find(':') == std::string::npos;
  bpf_map* map = source ? (v4 ? skel_->maps.kpath_src_v4 : skel_->maps.kpath_src_v6)
                        : (v4 ? skel_->maps.kpath_dst_v4 : skel_->maps.kpath_dst_v6);
  set_lpm(bpf_map__fd(map), prefix, &e);
}

// The devmap entry carries xdp_devmap_tx, as the daemon's must.
void RouterProgs::set_tx_port(uint32_t ifindex) {
  bpf_devmap_val val{};
  val.ifindex = ifindex;
  val.bpf_prog.fd = bpf_program__fd(skel_->progs.xdp_devmap_tx);
  check(bpf_map_update_elem(bpf_map__fd(skel_->maps.tx_ports), &ifindex, &val, BPF_ANY),
        "tx_ports");
}

RunResult RouterProgs::run_xdp(const Bytes& frame, uint32_t ifindex) {
  RunResult r;
  Bytes buf(frame.size() + 256);
  xdp_md ctx_in{};
  ctx_in.data_end = static_cast<uint32_t>(frame.size());
  ctx_in.ingress_ifindex = ifindex;
  xdp_md ctx_out{};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = buf.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(buf.size()), .ctx_in = &ctx_in,
              .ctx_out = &ctx_out, .ctx_size_in = sizeof(ctx_in), .ctx_size_out = sizeof(ctx_out));
  r.err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xdp_router), &opts);
  r.verdict = opts.retval;
  buf.resize(opts.data_size_out);
  // data_out starts at the metadata; ctx_out.data is the metadata's length.
  uint32_t meta_len = std::min<uint32_t>(ctx_out.data, static_cast<uint32_t>(buf.size()));
  r.meta.assign(buf.begin(), buf.begin() + meta_len);
  r.out.assign(buf.begin() + meta_len, buf.end());
  return r;
}

int RouterProgs::run_xdp_live(const Bytes& frame, uint32_t ifindex, int repeat) {
  xdp_md ctx_in{};
  ctx_in.data_end = static_cast<uint32_t>(frame.size());
  ctx_in.ingress_ifindex = ifindex;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()), .ctx_in = &ctx_in,
              .ctx_size_in = sizeof(ctx_in), .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
  return bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xdp_router), &opts);
}

RunResult RouterProgs::run_skb(int prog_fd, const Bytes& frame, uint32_t ifindex,
                               uint32_t gso_size) {
  RunResult r;
  Bytes buf(frame.size() + 256);
  __sk_buff ctx{};
  ctx.ifindex = ifindex;
  ctx.gso_size = gso_size;
  ctx.gso_segs = gso_size ? 2 : 0;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = buf.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(buf.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx));
  r.err = bpf_prog_test_run_opts(prog_fd, &opts);
  r.verdict = opts.retval;
  buf.resize(opts.data_size_out);
  r.out = std::move(buf);
  return r;
}

RunResult RouterProgs::run_tc_l3(const Bytes& frame, uint32_t ifindex, uint32_t gso_size) {
  return run_skb(bpf_program__fd(skel_->progs.tc_l3_ingress), frame, ifindex, gso_size);
}

RunResult RouterProgs::run_tc_ingress(const Bytes& frame, uint32_t ifindex) {
  return run_skb(bpf_program__fd(skel_->progs.tc_ingress), frame, ifindex);
}

template <typename T>
T RouterProgs::percpu_sum(int map_fd, uint32_t key) const {
  std::vector<T> values(ncpus_);
  T sum{};
  if (bpf_map_lookup_elem(map_fd, &key, values.data()))
    return sum;
  for (const T& v : values) {
    auto* dst = reinterpret_cast<uint64_t*>(&sum);
    auto* src = reinterpret_cast<const uint64_t*>(&v);
    for (size_t i = 0; i < sizeof(T) / sizeof(uint64_t); i++)
      dst[i] += src[i];
  }
  return sum;
}

bpfr_counter RouterProgs::reason(uint32_t r) const {
  return percpu_sum<bpfr_counter>(bpf_map__fd(skel_->maps.reason_stats), r);
}

bpfr_counter RouterProgs::reasons_total() const {
  bpfr_counter total{};
  for (uint32_t r = 0; r < BPFR_REASON_MAX; r++) {
    auto c = reason(r);
    total.packets += c.packets;
    total.bytes += c.bytes;
  }
  return total;
}

bpfr_counter RouterProgs::slot(uint32_t s) const {
  return percpu_sum<bpfr_counter>(bpf_map__fd(skel_->maps.route_stats), s);
}

bpfr_counter RouterProgs::list_entry(uint32_t id) const {
  return percpu_sum<bpfr_counter>(bpf_map__fd(skel_->maps.list_stats), id);
}

bpfr_iface_counters RouterProgs::iface(uint32_t row) const {
  return percpu_sum<bpfr_iface_counters>(bpf_map__fd(skel_->maps.iface_stats), row);
}

}  // namespace bpfr::test
