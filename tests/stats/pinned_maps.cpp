#include "stats/pinned_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "stats/reader.h"

namespace bpfr::stats::testing {

namespace {

void check(int err, const std::string& what) {
  if (err < 0)
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

PinnedMaps::PinnedMaps(const std::string& name)
    : root_("/sys/fs/bpf/" + name + "-" + std::to_string(getpid())),
      cpus_(libbpf_num_possible_cpus()) {
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
  route_stats_ = create("route_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), kSlots);
  slot_prefixes_ = create("slot_prefixes", BPF_MAP_TYPE_ARRAY, 4, sizeof(bpfr_slot_prefix), kSlots);
  reason_stats_ =
      create("reason_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), BPFR_REASON_MAX);
  iface_stats_ =
      create("iface_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_iface_counters), 16);
  ifaces_ = create("ifaces", BPF_MAP_TYPE_HASH, 4, sizeof(bpfr_iface), 16);
  list_stats_ = create("list_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), 16);
  src_v4_ = create("src_list_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4),
                   sizeof(bpfr_list_entry), 16);
  dst_v4_ = create("dst_list_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4),
                   sizeof(bpfr_list_entry), 16);
  src_v6_ = create("src_list_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6),
                   sizeof(bpfr_list_entry), 16);
  dst_v6_ = create("dst_list_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6),
                   sizeof(bpfr_list_entry), 16);
}

PinnedMaps::~PinnedMaps() {
  for (int fd : {route_stats_, slot_prefixes_, reason_stats_, iface_stats_, ifaces_, list_stats_,
                 src_v4_, dst_v4_, src_v6_, dst_v6_})
    close(fd);
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

int PinnedMaps::create(const char* name, bpf_map_type type, uint32_t key, uint32_t value,
                       uint32_t max) {
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  if (type == BPF_MAP_TYPE_LPM_TRIE)
    opts.map_flags = BPF_F_NO_PREALLOC;
  int fd = bpf_map_create(type, name, key, value, max, &opts);
  check(fd, std::string("create ") + name);
  std::string path = map_path(root_, name);
  check(bpf_obj_pin(fd, path.c_str()), "pin " + path);
  return fd;
}

template <class T>
void PinnedMaps::write_percpu(int fd, uint32_t key, std::vector<T> per_cpu) {
  per_cpu.resize(size_t(cpus_));
  check(bpf_map_update_elem(fd, &key, per_cpu.data(), BPF_ANY), "write per-CPU value");
}

void PinnedMaps::slot(uint32_t slot, const Prefix& p, uint8_t state, uint32_t generation,
                      uint64_t since_ns) {
  bpfr_slot_prefix row{};
  row.family = p.addr.is_v4() ? 4 : 6;
  row.prefixlen = p.len;
  row.state = state;
  row.generation = generation;
  std::memcpy(row.addr, p.addr.bytes.data(), 16);
  row.since_ns = since_ns;
  check(bpf_map_update_elem(slot_prefixes_, &slot, &row, BPF_ANY), "slot_prefixes");
}

void PinnedMaps::route_counters(uint32_t slot, std::vector<bpfr_counter> per_cpu) {
  write_percpu(route_stats_, slot, std::move(per_cpu));
}

void PinnedMaps::reason_counters(uint32_t reason, std::vector<bpfr_counter> per_cpu) {
  write_percpu(reason_stats_, reason, std::move(per_cpu));
}

void PinnedMaps::iface(uint32_t ifindex, uint32_t row, uint8_t role,
                       std::vector<bpfr_iface_counters> per_cpu) {
  bpfr_iface i{};
  i.index = row;
  i.role = role;
  check(bpf_map_update_elem(ifaces_, &ifindex, &i, BPF_ANY), "ifaces");
  write_percpu(iface_stats_, row, std::move(per_cpu));
}

void PinnedMaps::list_entry(bool source, const Prefix& p, uint32_t id, uint8_t action,
                            std::vector<bpfr_counter> per_cpu) {
  bpfr_list_entry e{};
  e.id = id;
  e.action = action;
  if (p.addr.is_v4()) {
    bpfr_route_key_v4 k{p.len, {}};
    std::memcpy(k.addr, p.addr.bytes.data(), 4);
    check(bpf_map_update_elem(source ? src_v4_ : dst_v4_, &k, &e, BPF_ANY), "list v4");
  } else {
    bpfr_route_key_v6 k{p.len, {}};
    std::memcpy(k.addr, p.addr.bytes.data(), 16);
    check(bpf_map_update_elem(source ? src_v6_ : dst_v6_, &k, &e, BPF_ANY), "list v6");
  }
  write_percpu(list_stats_, id, std::move(per_cpu));
}

}  // namespace bpfr::stats::testing
