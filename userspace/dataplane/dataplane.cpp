#include "dataplane/dataplane.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "dataplane/encode.h"
#include "dataplane/pins.h"
#include "router.skel.h"

namespace bpfr::dp {

namespace {

// Not in Debian 12's uapi headers: tcx attach points (Linux 6.6).
constexpr uint32_t attach_tcx_ingress = 46;

// The maps whose sizes follow the options; the rest keep the sizes in maps.h.
struct Sized {
  const char* map;
  uint32_t DataplaneOptions::*size;
};
constexpr Sized sized_maps[] = {
    {"routes_v4", &DataplaneOptions::max_routes_v4},
    {"routes_v6", &DataplaneOptions::max_routes_v6},
    {"nexthops", &DataplaneOptions::max_nexthops},
    {"route_stats", &DataplaneOptions::slots},
    {"slot_prefixes", &DataplaneOptions::slots},
};

// The fast tables are not pinned: each load makes them new and fills them from the pinned
// tries, so that a table never holds entries its writer's bookkeeping does not know.
constexpr const char* fast_table_maps[] = {"fib4_tbl24", "fib4_tbl8", "fib6_root", "fib6_nodes"};

bool is_fast_table(std::string_view map) {
  return std::find(std::begin(fast_table_maps), std::end(fast_table_maps), map) !=
         std::end(fast_table_maps);
}

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, format, args);
  std::string_view text(buf, n > 0 ? std::min<size_t>(size_t(n), sizeof buf - 1) : 0);
  while (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  if (level == LIBBPF_WARN)
    spdlog::warn("libbpf: {}", text);
  else
    spdlog::debug("libbpf: {}", text);
  return n;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

std::string errno_text(int err) {
  return fmt::format("{} ({})", strerror(err), err);
}

// Writes a `const volatile` variable of the program's .rodata before load.
bool set_rodata(bpf_object* obj, const std::string& name, uint64_t value) {
  const btf* b = bpf_object__btf(obj);
  bpf_map* rodata = nullptr;
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    std::string_view n = bpf_map__name(m);
    if (bpf_map__is_internal(m) && n.ends_with(".rodata"))
      rodata = m;
  }
  if (!b || !rodata)
    return false;
  int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (sec_id < 0)
    return false;
  const btf_type* sec = btf__type_by_id(b, sec_id);
  size_t size = 0;
  auto* initial = static_cast<const uint8_t*>(bpf_map__initial_value(rodata, &size));
  if (!initial)
    return false;
  std::vector<uint8_t> data(initial, initial + size);
  const btf_var_secinfo* vars = btf_var_secinfos(sec);
  for (unsigned i = 0; i < btf_vlen(sec); i++) {
    const btf_type* var = btf__type_by_id(b, vars[i].type);
    if (name != btf__name_by_offset(b, var->name_off))
      continue;
    if (vars[i].offset + vars[i].size > size || vars[i].size > sizeof value)
      return false;
    // Little-endian host: the low bytes of value are the variable's.
    std::memcpy(data.data() + vars[i].offset, &value, vars[i].size);
    return bpf_map__set_initial_value(rodata, data.data(), data.size()) == 0;
  }
  return false;
}

// Sizes the fast tables that are switched on and tells the programs to use them; the others
// keep their one entry and cost nothing.
void size_fast_tables(router_bpf* skel, const DataplaneOptions& o) {
  if (o.fast_lookup_v4)
    if (int err = fastfib_size_family(kFib4Shape, skel->maps.fib4_tbl24, skel->maps.fib4_tbl8,
                                      o.fast_v4_groups))
      throw std::runtime_error(fmt::format("dataplane: sizing fib4 tables: {}", errno_text(-err)));
  if (o.fast_lookup_v6)
    if (int err = fastfib_size_family(kFib6Shape, skel->maps.fib6_root, skel->maps.fib6_nodes,
                                      o.fast_v6_nodes))
      throw std::runtime_error(fmt::format("dataplane: sizing fib6 tables: {}", errno_text(-err)));
  skel->rodata->fastfib_v4 = o.fast_lookup_v4;
  skel->rodata->fastfib_v6 = o.fast_lookup_v6;
}

std::span<uint64_t> map_table(bpf_map* map) {
  auto table = fastfib_mmap(map);
  if (table.empty())
    throw std::runtime_error(
        fmt::format("dataplane: mmap of {}: {}", bpf_map__name(map), errno_text(errno)));
  return table;
}

// Every route of an LPM trie of the shared key layout.
template <typename Key, typename Decode>
std::vector<std::pair<Prefix, bpfr_route_value>> trie_routes(int fd, Decode decode) {
  std::vector<std::pair<Prefix, bpfr_route_value>> routes;
  Key key{}, next{};
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    bpfr_route_value v{};
    if (bpf_map_lookup_elem(fd, &next, &v) == 0)
      routes.emplace_back(decode(next), v);
    key = next;
    prev = &key;
  }
  return routes;
}

}  // namespace

void route_libbpf_logs() {
  libbpf_set_print(libbpf_to_spdlog);
}

std::unique_ptr<Dataplane> Dataplane::load(const DataplaneOptions& options) {
  std::unique_ptr<Dataplane> dp(new Dataplane());
  dp->pin_root_ = options.pin_root;
  dp->ncpus_ = libbpf_num_possible_cpus();
  if (dp->ncpus_ <= 0)
    throw std::runtime_error("dataplane: cannot count possible CPUs");

  std::error_code ec;
  std::filesystem::create_directories(options.pin_root + "/links", ec);
  if (ec)
    throw std::runtime_error(
        fmt::format("dataplane: pin root {}: {}", options.pin_root, ec.message()));

  dp->skel_ = router_bpf__open();
  if (!dp->skel_)
    throw std::runtime_error(fmt::format("dataplane: open skeleton: {}", errno_text(errno)));
  bpf_object* obj = dp->skel_->obj;

  for (const auto& s : sized_maps)
    if (bpf_map* m = bpf_object__find_map_by_name(obj, s.map))
      bpf_map__set_max_entries(m, options.*s.size);
  size_fast_tables(dp->skel_, options);
  for (const auto& [name, value] : options.tunables)
    if (!set_rodata(obj, name, value))
      spdlog::debug("dataplane: the program has no tunable {}, skipped", name);

  // Pinned maps of a previous run with the same layout are reused, so the entries survive.
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    if (bpf_map__is_internal(m) || is_fast_table(bpf_map__name(m)))
      continue;
    std::string path = map_pin_path(options.pin_root, bpf_map__name(m));
    // The kernel marks a device map read-only for programs once created; libbpf 1.1 compares
    // the pinned map's flags with its own definition and would refuse to reuse it.
    auto type = bpf_map__type(m);
    if ((type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH) &&
        std::filesystem::exists(path))
      bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_RDONLY_PROG);
    if (int err = bpf_map__set_pin_path(m, path.c_str()); err)
      throw std::runtime_error(fmt::format("dataplane: pin path {}: {}", path, errno_text(-err)));
  }

  if (int err = router_bpf__load(dp->skel_); err)
    throw std::runtime_error(fmt::format(
        "dataplane: loading the router programs failed: {} (a pinned map under {} with another "
        "layout or size also refuses the load)",
        errno_text(-err), options.pin_root));

  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (bpf_program__expected_attach_type(prog) == BPF_XDP_DEVMAP)
      dp->devmap_prog_fd_ = bpf_program__fd(prog);
  }
  spdlog::info("dataplane: programs loaded, maps pinned under {}", options.pin_root);
  dp->open_fast_tables(options);
  return dp;
}

Dataplane::~Dataplane() {
  fast_v4_.reset();
  fast_v6_.reset();
  for (auto table : fast_mappings_)
    fastfib_munmap(table);
  for (auto& [ifindex, a] : links_)
    if (a.link_fd >= 0)
      close(a.link_fd);
  if (skel_)
    router_bpf__destroy(skel_);
}

// The tables are filled from the tries before this load's programs are attached anywhere:
// on a restart the pinned tries hold the previous run's routes, and the programs still
// running answer from those routes (and from their own tables, which this run never sees).
// Attaching then swaps program and tables together, and from here on every route reaches
// trie and table through put_route() and delete_route().
void Dataplane::open_fast_tables(const DataplaneOptions& options) {
  auto make_table = [this](const TableShape& shape, bpf_map* root, bpf_map* nodes) {
    fast_mappings_.push_back(map_table(root));
    fast_mappings_.push_back(map_table(nodes));
    return std::make_unique<MultibitTable>(shape, fast_mappings_.end()[-2], fast_mappings_.back());
  };
  if (options.fast_lookup_v4)
    fast_v4_ = make_table(kFib4Shape, skel_->maps.fib4_tbl24, skel_->maps.fib4_tbl8);
  if (options.fast_lookup_v6)
    fast_v6_ = make_table(kFib6Shape, skel_->maps.fib6_root, skel_->maps.fib6_nodes);

  for (Family family : {Family::v4, Family::v6}) {
    const MultibitTable* table = fast_table(family);
    if (!table) {
      spdlog::info("dataplane: fast lookup {} off, the LPM trie answers alone",
                   family == Family::v4 ? "IPv4" : "IPv6");
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    size_t copied = fill_fast_table(family);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("dataplane: fast lookup {} on, {} MiB, {} routes copied from the trie in {:.2f} s",
                 family == Family::v4 ? "IPv4" : "IPv6", table->table_bytes() >> 20, copied, took);
  }
}

size_t Dataplane::fill_fast_table(Family family) {
  MultibitTable* table = writable_fast_table(family);
  auto routes = family == Family::v4
                    ? trie_routes<bpfr_route_key_v4>(map_fd("routes_v4"), decode_key_v4)
                    : trie_routes<bpfr_route_key_v6>(map_fd("routes_v6"), decode_key_v6);
  for (const auto& [prefix, value] : routes)
    table->set(prefix, fib_result(value));
  return routes.size();
}

int Dataplane::xdp_prog_fd() const {
  return bpf_program__fd(skel_->progs.xdp_router);
}

int Dataplane::map_fd(const char* name) const {
  bpf_map* m = bpf_object__find_map_by_name(skel_->obj, name);
  return m ? bpf_map__fd(m) : -1;
}

// An existing pinned link on the same device gets the new program atomically; otherwise a
// new link is made and pinned.
AttachResult Dataplane::attach_link(uint32_t ifindex, const std::string& ifname,
                                    const std::string& hook, int prog_fd, uint32_t attach_type,
                                    uint32_t flags) {
  AttachResult r;
  std::string pin = link_pin_path(pin_root_, hook, ifname);

  if (int fd = bpf_obj_get(pin.c_str()); fd >= 0) {
    bpf_link_info info{};
    uint32_t len = sizeof info;
    // The xdp and tcx members of the info union both start with the ifindex.
    bool same_device = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.xdp.ifindex == ifindex;
    if (same_device && bpf_link_update(fd, prog_fd, nullptr) == 0) {
      links_.emplace(ifindex, Attachment{hook, ifname, fd, pin});
      r.ok = r.adopted = true;
      return r;
    }
    spdlog::info("dataplane {}: pinned {} link is stale, replaced", ifname, hook);
    close(fd);
    unlink(pin.c_str());
  }

  bpf_link_create_opts opts{};
  opts.sz = sizeof opts;
  opts.flags = flags;
  int fd = bpf_link_create(prog_fd, int(ifindex), bpf_attach_type(attach_type), &opts);
  if (fd < 0) {
    r.error = errno_text(errno);
    return r;
  }
  if (bpf_obj_pin(fd, pin.c_str()) != 0) {
    r.error = fmt::format("pin {}: {}", pin, errno_text(errno));
    bpf_link_detach(fd);
    close(fd);
    return r;
  }
  links_.emplace(ifindex, Attachment{hook, ifname, fd, pin});
  r.ok = true;
  return r;
}

namespace {

// Why a driver refused native XDP, in the operator's terms.
std::string native_refusal(int err, const std::string& ifname) {
  switch (err) {
    case EOPNOTSUPP:
      return "the driver has no native XDP";
    case EINVAL:
    case ERANGE:
      return fmt::format(
          "the driver refused it ({}): MTU of {} too large for XDP, LRO on, or "
          "too few queues (virtio-net)",
          strerror(err), ifname);
    case ENOMEM:
    case ENOSPC:
      return "the driver has too few TX queues for XDP";
    default:
      return errno_text(err);
  }
}

}  // namespace

AttachResult Dataplane::attach_xdp(uint32_t ifindex, const std::string& ifname, XdpMode mode) {
  int prog_fd = bpf_program__fd(skel_->progs.xdp_router);
  if (mode == XdpMode::native) {
    AttachResult r = attach_link(ifindex, ifname, "xdp", prog_fd, BPF_XDP, XDP_FLAGS_DRV_MODE);
    if (r.ok || r.adopted)
      return r;
    int err = errno;
    if (err == EBUSY || err == EEXIST) {
      r.error = "another XDP program is attached to the device";
      return r;
    }
    auto fallback = attach_link(ifindex, ifname, "xdp", prog_fd, BPF_XDP, XDP_FLAGS_SKB_MODE);
    fallback.mode = XdpMode::generic;
    fallback.fallback_reason = native_refusal(err, ifname);
    return fallback;
  }
  AttachResult r = attach_link(ifindex, ifname, "xdp", prog_fd, BPF_XDP, XDP_FLAGS_SKB_MODE);
  r.mode = XdpMode::generic;
  return r;
}

AttachResult Dataplane::attach_clsact(uint32_t ifindex, const std::string& ifname, int prog_fd) {
  AttachResult r;
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = int(ifindex);
  hook.attach_point = BPF_TC_INGRESS;
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) {
    r.error = fmt::format("clsact: {}", errno_text(-err));
    return r;
  }
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.prog_fd = prog_fd;
  opts.handle = 1;
  opts.priority = 1;
  opts.flags = BPF_TC_F_REPLACE;
  if (err = bpf_tc_attach(&hook, &opts); err) {
    r.error = fmt::format("tc filter: {}", errno_text(-err));
    return r;
  }
  links_.emplace(ifindex, Attachment{"clsact", ifname, -1, ""});
  r.ok = true;
  return r;
}

AttachResult Dataplane::attach_tc(uint32_t ifindex, const std::string& ifname, bool l3) {
  bpf_program* prog =
      bpf_object__find_program_by_name(skel_->obj, l3 ? "tc_l3_ingress" : "tc_ingress");
  AttachResult r;
  if (!prog) {
    r.error = "the loaded object has no tc program for this device";
    return r;
  }
  int prog_fd = bpf_program__fd(prog);
  if (tcx_ok_) {
    r = attach_link(ifindex, ifname, "tcx", prog_fd, attach_tcx_ingress, 0);
    if (r.ok || (errno != EINVAL && errno != EOPNOTSUPP))
      return r;
    tcx_ok_ = false;
    spdlog::info("dataplane: the kernel has no tcx links, using clsact (not kept across restarts)");
  }
  return attach_clsact(ifindex, ifname, prog_fd);
}

void Dataplane::detach(uint32_t ifindex) {
  auto [first, last] = links_.equal_range(ifindex);
  for (auto it = first; it != last; ++it) {
    Attachment& a = it->second;
    if (a.hook == "clsact") {
      bpf_tc_hook hook{};
      hook.sz = sizeof hook;
      hook.ifindex = int(ifindex);
      hook.attach_point = BPF_TC_INGRESS;
      bpf_tc_opts opts{};
      opts.sz = sizeof opts;
      opts.handle = 1;
      opts.priority = 1;
      bpf_tc_detach(&hook, &opts);
      continue;
    }
    bpf_link_detach(a.link_fd);
    close(a.link_fd);
    unlink(a.pin.c_str());
  }
  links_.erase(first, last);
}

void Dataplane::detach_all() {
  while (!links_.empty())
    detach(links_.begin()->first);
}

void Dataplane::leave_running() {
  for (auto& [ifindex, a] : links_)
    if (a.link_fd >= 0)
      close(a.link_fd);
  links_.clear();
}

std::vector<uint32_t> Dataplane::attached_xdp() const {
  std::vector<uint32_t> out;
  for (const auto& [ifindex, a] : links_)
    if (a.hook == "xdp")
      out.push_back(ifindex);
  return out;
}

bool Dataplane::set_tx_port(uint32_t ifindex) {
  bpf_devmap_val v{};
  v.ifindex = ifindex;
  v.bpf_prog.fd = devmap_prog_fd_ > 0 ? devmap_prog_fd_ : 0;
  return bpf_map_update_elem(map_fd("tx_ports"), &ifindex, &v, BPF_ANY) == 0;
}

bool Dataplane::remove_tx_port(uint32_t ifindex) {
  return bpf_map_delete_elem(map_fd("tx_ports"), &ifindex) == 0 || errno == ENOENT;
}

bool Dataplane::zero_percpu(const char* map, uint32_t key, size_t value_size) {
  std::vector<uint8_t> zeros(value_size * size_t(ncpus_));
  return bpf_map_update_elem(map_fd(map), &key, zeros.data(), BPF_ANY) == 0;
}

bool Dataplane::set_iface(uint32_t ifindex, const IfaceSettings& s) {
  auto it = iface_rows_.find(ifindex);
  if (it == iface_rows_.end()) {
    uint32_t row = 0;
    for (const auto& [_, used] : iface_rows_)
      row = std::max(row, used + 1);
    if (row >= BPFR_MAX_IFACES)
      return false;
    it = iface_rows_.emplace(ifindex, row).first;
    zero_percpu("iface_stats", row, sizeof(bpfr_iface_counters));
  }
  iface_settings_[ifindex] = s;
  return write_iface(ifindex, it->second, s);
}

// Upstreams check sources as the block's `bogons { }` says; the plan's flags are the default.
bool Dataplane::write_iface(uint32_t ifindex, uint32_t row, const IfaceSettings& s) {
  bpfr_iface v{};
  v.index = row;
  v.role = s.role;
  v.urpf = s.urpf;
  v.flags = s.flags;
  if (s.role == BPFR_ROLE_UPSTREAM) {
    v.flags =
        uint8_t((s.flags & ~(BPFR_IFACE_F_BOGON_SRC | BPFR_IFACE_F_SPOOF_OWN)) | upstream_flags_);
    v.bogon_src = upstream_bogon_src_;
  }
  // The host firewall names this device (firewall.h).
  if (kernel_in_.count(ifindex))
    v.flags |= BPFR_IFACE_F_KERNEL_IN;
  if (kernel_out_.count(ifindex))
    v.flags |= BPFR_IFACE_F_KERNEL_OUT;
  return bpf_map_update_elem(map_fd("ifaces"), &ifindex, &v, BPF_ANY) == 0;
}

template <typename Want>
bool Dataplane::replace_trie(const char* map, const Want& want) {
  using Key = typename Want::key_type;
  int fd = map_fd(map);
  std::vector<Key> stale;
  Key k{}, next{};
  for (Key* prev = nullptr; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &k) {
    if (!want.count(next))
      stale.push_back(next);
    k = next;
  }
  for (const Key& key : stale)
    bpf_map_delete_elem(fd, &key);
  bool ok = true;
  for (const auto& [key, value] : want)
    ok = bpf_map_update_elem(fd, &key, &value, BPF_ANY) == 0 && ok;
  return ok;
}

namespace {

struct KeyLess {
  template <typename K>
  bool operator()(const K& a, const K& b) const {
    return std::memcmp(&a, &b, sizeof a) < 0;
  }
};

}  // namespace

bool Dataplane::write_filters(const FilterTables& t) {
  std::map<bpfr_route_key_v4, bpfr_bogon, KeyLess> bogons4;
  std::map<bpfr_route_key_v6, bpfr_bogon, KeyLess> bogons6;
  for (const auto& [p, categories] : t.bogons) {
    if (p.addr.is_v4())
      bogons4[encode_key_v4(p)] = bpfr_bogon{categories};
    else
      bogons6[encode_key_v6(p)] = bpfr_bogon{categories};
  }
  std::map<bpfr_route_key_v4, uint32_t, KeyLess> own4;
  std::map<bpfr_route_key_v6, uint32_t, KeyLess> own6;
  for (const auto& p : t.own) {
    if (p.addr.is_v4())
      own4[encode_key_v4(p)] = 0;
    else
      own6[encode_key_v6(p)] = 0;
  }
  std::map<bpfr_route_key_v4, bpfr_list_entry, KeyLess> src4, dst4, ksrc4, kdst4;
  std::map<bpfr_route_key_v6, bpfr_list_entry, KeyLess> src6, dst6, ksrc6, kdst6;
  bool ok = true;
  for (const auto& e : t.lists) {
    if (e.id >= BPFR_MAX_FILTER_ENTRIES) {
      spdlog::error("dataplane: more than {} list entries, {} left out",
                    BPFR_MAX_FILTER_ENTRIES - 1, e.prefix);
      ok = false;
      continue;
    }
    if (e.fresh)
      zero_percpu("list_stats", e.id, sizeof(bpfr_counter));
    bpfr_list_entry v{};
    v.id = e.id;
    v.action = e.action;
    bool src = e.direction == ListEntry::Direction::source;
    bool kernel = e.action == BPFR_LIST_KERNEL;  // a firewall rule's entry: kpath_*
    if (e.prefix.addr.is_v4())
      (kernel ? (src ? ksrc4 : kdst4) : (src ? src4 : dst4))[encode_key_v4(e.prefix)] = v;
    else
      (kernel ? (src ? ksrc6 : kdst6) : (src ? src6 : dst6))[encode_key_v6(e.prefix)] = v;
  }

  ok = replace_trie("bogons_v4", bogons4) && ok;
  ok = replace_trie("bogons_v6", bogons6) && ok;
  ok = replace_trie("own_v4", own4) && ok;
  ok = replace_trie("own_v6", own6) && ok;
  ok = replace_trie("src_list_v4", src4) && ok;
  ok = replace_trie("src_list_v6", src6) && ok;
  ok = replace_trie("dst_list_v4", dst4) && ok;
  ok = replace_trie("dst_list_v6", dst6) && ok;
  ok = replace_trie("kpath_src_v4", ksrc4) && ok;
  ok = replace_trie("kpath_src_v6", ksrc6) && ok;
  ok = replace_trie("kpath_dst_v4", kdst4) && ok;
  ok = replace_trie("kpath_dst_v6", kdst6) && ok;

  upstream_flags_ = t.upstream_flags;
  upstream_bogon_src_ = t.upstream_bogon_src;
  kernel_in_ = t.kernel_in;
  kernel_out_ = t.kernel_out;
  for (const auto& [ifindex, s] : iface_settings_)
    ok = write_iface(ifindex, iface_rows_[ifindex], s) && ok;
  return write_kernel_out() && ok;
}

// settings.kernel_out gates the per-packet look at the egress device's flags.
bool Dataplane::write_kernel_out() {
  uint32_t key = 0;
  bpfr_settings s{};
  int fd = map_fd("settings");
  if (bpf_map_lookup_elem(fd, &key, &s) != 0)
    return false;
  s.kernel_out = !kernel_out_.empty();
  return bpf_map_update_elem(fd, &key, &s, BPF_ANY) == 0;
}

bool Dataplane::configure_filters(const config::Config& config, const KernelPath& firewall) {
  auto own = originated_prefixes(config);
  auto t = filters_.build(config.fast_path, own, firewall);
  bool ok = write_filters(t);
  spdlog::info(
      "dataplane: filters: {} own prefixes, {} list entries, upstream checks {:#x}, "
      "bogon categories {:#x}",
      t.own.size(), t.lists.size(), t.upstream_flags, t.upstream_bogon_src);
  if (!ok)
    spdlog::error("dataplane: some filter entries could not be written, they are not checked");
  return ok;
}

bool Dataplane::remove_iface(uint32_t ifindex) {
  iface_rows_.erase(ifindex);
  iface_settings_.erase(ifindex);
  return bpf_map_delete_elem(map_fd("ifaces"), &ifindex) == 0 || errno == ENOENT;
}

std::optional<uint32_t> Dataplane::iface_row(uint32_t ifindex) const {
  auto it = iface_rows_.find(ifindex);
  if (it == iface_rows_.end())
    return std::nullopt;
  return it->second;
}

bool Dataplane::write_settings(bool enabled, bool no_route_drop, uint32_t stale_after_s) {
  uint32_t key = 0;
  bpfr_settings s{};
  s.enabled = enabled;
  s.no_route_drop = no_route_drop;
  s.stale_after_s = stale_after_s;
  s.heartbeat_ns = monotonic_ns();
  s.kernel_out = !kernel_out_.empty();
  return bpf_map_update_elem(map_fd("settings"), &key, &s, BPF_ANY) == 0;
}

bool Dataplane::heartbeat() {
  uint32_t key = 0;
  bpfr_settings s{};
  int fd = map_fd("settings");
  if (bpf_map_lookup_elem(fd, &key, &s) != 0)
    return false;
  s.heartbeat_ns = monotonic_ns();
  return bpf_map_update_elem(fd, &key, &s, BPF_ANY) == 0;
}

bool Dataplane::put_route(const Prefix& p, const bpfr_route_value& v) {
  int err;
  if (p.addr.is_v4()) {
    auto k = encode_key_v4(p);
    err = bpf_map_update_elem(map_fd("routes_v4"), &k, &v, BPF_ANY);
  } else {
    auto k = encode_key_v6(p);
    err = bpf_map_update_elem(map_fd("routes_v6"), &k, &v, BPF_ANY);
  }
  if (err != 0)
    return false;

  // After the trie: a table entry that sends its lookups to the trie finds the route there.
  if (MultibitTable* table = writable_fast_table(p.family()))
    table->set(p, fib_result(v));
  return true;
}

bool Dataplane::delete_route(const Prefix& p) {
  if (MultibitTable* table = writable_fast_table(p.family()))
    table->remove(p);

  int err;
  if (p.addr.is_v4()) {
    auto k = encode_key_v4(p);
    err = bpf_map_delete_elem(map_fd("routes_v4"), &k);
  } else {
    auto k = encode_key_v6(p);
    err = bpf_map_delete_elem(map_fd("routes_v6"), &k);
  }
  return err == 0 || errno == ENOENT;
}

bool Dataplane::put_nexthop(uint32_t id, const bpfr_nexthop& nh) {
  return bpf_map_update_elem(map_fd("nexthops"), &id, &nh, BPF_ANY) == 0;
}

bool Dataplane::put_slot(uint32_t slot, const bpfr_slot_prefix& row, bool zero_counters) {
  if (zero_counters && !zero_percpu("route_stats", slot, sizeof(bpfr_counter)))
    return false;
  return bpf_map_update_elem(map_fd("slot_prefixes"), &slot, &row, BPF_ANY) == 0;
}

std::vector<std::pair<uint32_t, bpfr_slot_prefix>> Dataplane::slot_rows() const {
  std::vector<std::pair<uint32_t, bpfr_slot_prefix>> out;
  int fd = map_fd("slot_prefixes");
  uint32_t n = bpf_map__max_entries(bpf_object__find_map_by_name(skel_->obj, "slot_prefixes"));
  for (uint32_t slot = 1; slot < n; slot++) {
    bpfr_slot_prefix row{};
    if (bpf_map_lookup_elem(fd, &slot, &row) == 0 && row.state != BPFR_SLOT_FREE)
      out.emplace_back(slot, row);
  }
  return out;
}

size_t Dataplane::sweep_routes(const std::function<bool(const Prefix&)>& keep) {
  auto routes = trie_routes<bpfr_route_key_v4>(map_fd("routes_v4"), decode_key_v4);
  auto routes6 = trie_routes<bpfr_route_key_v6>(map_fd("routes_v6"), decode_key_v6);
  routes.insert(routes.end(), routes6.begin(), routes6.end());

  size_t swept = 0;
  for (const auto& [prefix, value] : routes)
    if (!keep(prefix))
      swept += delete_route(prefix);
  return swept;
}

bpfr_counter Dataplane::route_counter(uint32_t slot) const {
  std::vector<bpfr_counter> per_cpu(static_cast<size_t>(ncpus_));
  bpfr_counter sum{};
  if (bpf_map_lookup_elem(map_fd("route_stats"), &slot, per_cpu.data()) != 0)
    return sum;
  for (const auto& c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

bpfr_counter Dataplane::reason_counter(uint32_t reason) const {
  std::vector<bpfr_counter> per_cpu(static_cast<size_t>(ncpus_));
  bpfr_counter sum{};
  if (bpf_map_lookup_elem(map_fd("reason_stats"), &reason, per_cpu.data()) != 0)
    return sum;
  for (const auto& c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

bpfr_iface_counters Dataplane::iface_counter(uint32_t ifindex) const {
  bpfr_iface_counters sum{};
  auto row = iface_row(ifindex);
  if (!row)
    return sum;
  std::vector<bpfr_iface_counters> per_cpu(static_cast<size_t>(ncpus_));
  if (bpf_map_lookup_elem(map_fd("iface_stats"), &*row, per_cpu.data()) != 0)
    return sum;
  for (const auto& c : per_cpu) {
    sum.rx_packets += c.rx_packets;
    sum.rx_bytes += c.rx_bytes;
    sum.tx_packets += c.tx_packets;
    sum.tx_bytes += c.tx_bytes;
    sum.pass_packets += c.pass_packets;
    sum.drop_packets += c.drop_packets;
  }
  return sum;
}

}  // namespace bpfr::dp
