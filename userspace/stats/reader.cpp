#include "stats/reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "dataplane/pins.h"

namespace bpfr::stats {

namespace {

struct MapSpec {
  std::string_view name;
  bpf_map_type type;
  uint32_t key_size;
  uint32_t value_size;
  bool required;
};

// In the order of Reader::Map.
constexpr MapSpec kMaps[] = {
    {"route_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), true},
    {"slot_prefixes", BPF_MAP_TYPE_ARRAY, 4, sizeof(bpfr_slot_prefix), true},
    {"reason_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), true},
    {"iface_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_iface_counters), false},
    {"ifaces", BPF_MAP_TYPE_HASH, 4, sizeof(bpfr_iface), false},
    {"list_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(bpfr_counter), false},
    {"src_list_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4), sizeof(bpfr_list_entry),
     false},
    {"dst_list_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4), sizeof(bpfr_list_entry),
     false},
    {"src_list_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6), sizeof(bpfr_list_entry),
     false},
    {"dst_list_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6), sizeof(bpfr_list_entry),
     false},
    {"kpath_src_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4), sizeof(bpfr_list_entry),
     false},
    {"kpath_dst_v4", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v4), sizeof(bpfr_list_entry),
     false},
    {"kpath_src_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6), sizeof(bpfr_list_entry),
     false},
    {"kpath_dst_v6", BPF_MAP_TYPE_LPM_TRIE, sizeof(bpfr_route_key_v6), sizeof(bpfr_list_entry),
     false},
};

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Per-CPU values are laid out with each CPU's copy rounded up to 8 bytes.
constexpr size_t percpu_stride(size_t size) {
  return (size + 7) / 8 * 8;
}

// Iterates an LPM trie's keys; calls f(key bytes, entry).
template <class Key, class F>
std::optional<std::string> walk_list(int fd, std::string_view name, F f) {
  Key key{}, next{};
  const void* prev = nullptr;
  for (uint32_t guard = 0; guard <= BPFR_MAX_FILTER_ENTRIES; guard++) {
    if (bpf_map_get_next_key(fd, prev, &next) != 0) {
      if (errno == ENOENT)
        return std::nullopt;
      return fmt::format("{}: next key: {}", name, std::strerror(errno));
    }
    bpfr_list_entry e{};
    if (bpf_map_lookup_elem(fd, &next, &e) == 0)
      f(next, e);
    key = next;
    prev = &key;
  }
  return fmt::format("{}: more than {} entries", name, BPFR_MAX_FILTER_ENTRIES);
}

}  // namespace

std::string map_path(std::string_view pin_root, std::string_view map) {
  return dp::map_pin_path(pin_root, map);
}

Reader::~Reader() {
  for (int fd : fds_)
    if (fd > 0)
      ::close(fd);
}

Reader::Reader(Reader&& other) noexcept
    : fds_(std::exchange(other.fds_, {})),
      max_entries_(other.max_entries_),
      pin_root_(std::move(other.pin_root_)),
      cpus_(other.cpus_) {}

Reader& Reader::operator=(Reader&& other) noexcept {
  std::swap(fds_, other.fds_);
  max_entries_ = other.max_entries_;
  pin_root_ = std::move(other.pin_root_);
  cpus_ = other.cpus_;
  return *this;
}

std::variant<Reader, std::string> Reader::open(std::string_view pin_root) {
  Reader r;
  r.pin_root_ = pin_root;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return fmt::format("cannot tell the number of possible CPUs: {}", std::strerror(-cpus));
  r.cpus_ = uint32_t(cpus);

  for (int m = 0; m < map_count; m++) {
    const auto& spec = kMaps[m];
    std::string path = map_path(pin_root, spec.name);
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) {
      if (!spec.required && errno == ENOENT)
        continue;
      return fmt::format(
          "cannot open pinned map {}: {}{}", path, std::strerror(errno),
          errno == ENOENT ? " (is the data plane loaded, and the pin root right?)" : "");
    }
    r.fds_[m] = fd;

    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
      return fmt::format("map info of {}: {}", path, std::strerror(errno));
    if (info.type != uint32_t(spec.type) || info.key_size != spec.key_size ||
        info.value_size != spec.value_size)
      return fmt::format(
          "pinned map {} has type {}, key {} and value {} bytes; this bpfrouter expects type {}, "
          "key {} and value {} (a different layout version)",
          path, info.type, info.key_size, info.value_size, int(spec.type), spec.key_size,
          spec.value_size);
    r.max_entries_[m] = info.max_entries;
  }
  return r;
}

std::optional<std::string> Reader::sum_counter(Map m, uint32_t key, bpfr_counter& out) const {
  std::vector<bpfr_counter> percpu(cpus_);
  static_assert(percpu_stride(sizeof(bpfr_counter)) == sizeof(bpfr_counter));
  if (bpf_map_lookup_elem(fds_[m], &key, percpu.data()) != 0)
    return fmt::format("{}[{}]: {}", kMaps[m].name, key, std::strerror(errno));
  out = {};
  for (const auto& c : percpu) {
    out.packets += c.packets;
    out.bytes += c.bytes;
  }
  return std::nullopt;
}

std::optional<std::string> Reader::read_slots(Snapshot& s) const {
  s.slot_capacity = std::min(max_entries_[route_stats], max_entries_[slot_prefixes]);
  s.counter_bytes = uint64_t(max_entries_[route_stats]) * cpus_ * sizeof(bpfr_counter);

  // Which slots are in use: slot_prefixes in batches, falling back to one lookup per slot.
  std::vector<bpfr_slot_prefix> rows(s.slot_capacity);
  std::vector<uint32_t> keys(s.slot_capacity);
  uint32_t done = 0, token = 0;
  bool batch = true;
  while (done < s.slot_capacity) {
    uint32_t next = 0;
    uint32_t count = std::min<uint32_t>(4096, s.slot_capacity - done);
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fds_[slot_prefixes], done ? &token : nullptr, &next,
                                   keys.data() + done, rows.data() + done, &count, &opts);
    if (err && errno != ENOENT) {
      batch = false;
      break;
    }
    done += count;
    token = next;
    if (err)  // ENOENT: the end
      break;
  }
  if (!batch) {
    for (uint32_t k = 0; k < s.slot_capacity; k++)
      if (bpf_map_lookup_elem(fds_[slot_prefixes], &k, &rows[k]) != 0)
        return fmt::format("slot_prefixes[{}]: {}", k, std::strerror(errno));
  }

  for (uint32_t k = 0; k < s.slot_capacity; k++) {
    const auto& row = rows[k];
    if (k != BPFR_SLOT_AGGREGATE && row.state == BPFR_SLOT_FREE)
      continue;
    SlotCounter c;
    c.slot = k;
    c.state = k == BPFR_SLOT_AGGREGATE ? uint8_t(BPFR_SLOT_LIVE) : row.state;
    c.generation = row.generation;
    c.since_ns = row.since_ns;
    if (k != BPFR_SLOT_AGGREGATE && (row.family == 4 || row.family == 6)) {
      auto fam = row.family == 4 ? Family::v4 : Family::v6;
      c.prefix = Prefix::make(Address::from_bytes(fam, row.addr), row.prefixlen);
    }
    bpfr_counter sum{};
    if (auto err = sum_counter(route_stats, k, sum))
      return err;
    c.packets = sum.packets;
    c.bytes = sum.bytes;
    s.slots.push_back(std::move(c));
  }
  return std::nullopt;
}

std::optional<std::string> Reader::read_ifaces(Snapshot& s) const {
  if (fds_[ifaces] <= 0 || fds_[iface_stats] <= 0)
    return std::nullopt;
  uint32_t key = 0, next = 0;
  const uint32_t* prev = nullptr;
  std::vector<bpfr_iface_counters> percpu(cpus_);
  static_assert(percpu_stride(sizeof(bpfr_iface_counters)) == sizeof(bpfr_iface_counters));
  for (uint32_t guard = 0; guard <= BPFR_MAX_IFACES; guard++) {
    if (bpf_map_get_next_key(fds_[ifaces], prev, &next) != 0)
      break;
    key = next;
    prev = &key;
    bpfr_iface iface{};
    if (bpf_map_lookup_elem(fds_[ifaces], &key, &iface) != 0)
      continue;  // removed meanwhile
    IfaceCounter c;
    c.ifindex = key;
    c.row = iface.index;
    c.role = iface.role;
    if (bpf_map_lookup_elem(fds_[iface_stats], &iface.index, percpu.data()) != 0)
      return fmt::format("iface_stats[{}] (ifindex {}): {}", iface.index, key,
                         std::strerror(errno));
    for (const auto& p : percpu) {
      c.sum.rx_packets += p.rx_packets;
      c.sum.rx_bytes += p.rx_bytes;
      c.sum.tx_packets += p.tx_packets;
      c.sum.tx_bytes += p.tx_bytes;
      c.sum.pass_packets += p.pass_packets;
      c.sum.drop_packets += p.drop_packets;
    }
    s.ifaces.push_back(c);
  }
  std::sort(s.ifaces.begin(), s.ifaces.end(),
            [](const auto& a, const auto& b) { return a.ifindex < b.ifindex; });
  return std::nullopt;
}

std::optional<std::string> Reader::read_lists(Snapshot& s) const {
  if (fds_[list_stats] <= 0)
    return std::nullopt;
  auto add = [&](ListKind kind, Family fam, uint32_t len, const uint8_t* addr,
                 const bpfr_list_entry& e) {
    ListCounter c;
    c.list = kind;
    c.prefix = Prefix::make(Address::from_bytes(fam, {addr, fam == Family::v4 ? 4u : 16u}), len);
    c.action = e.action;
    c.id = e.id;
    s.lists.push_back(c);
  };
  struct Trie {
    Map map;
    ListKind kind;
  };
  for (auto [m, kind] :
       {Trie{src_list_v4, ListKind::source}, Trie{dst_list_v4, ListKind::destination},
        Trie{kpath_src_v4, ListKind::source}, Trie{kpath_dst_v4, ListKind::destination}}) {
    if (fds_[m] <= 0)
      continue;
    auto err = walk_list<bpfr_route_key_v4>(
        fds_[m], kMaps[m].name,
        [&](const auto& k, const auto& e) { add(kind, Family::v4, k.prefixlen, k.addr, e); });
    if (err)
      return err;
  }
  for (auto [m, kind] :
       {Trie{src_list_v6, ListKind::source}, Trie{dst_list_v6, ListKind::destination},
        Trie{kpath_src_v6, ListKind::source}, Trie{kpath_dst_v6, ListKind::destination}}) {
    if (fds_[m] <= 0)
      continue;
    auto err = walk_list<bpfr_route_key_v6>(
        fds_[m], kMaps[m].name,
        [&](const auto& k, const auto& e) { add(kind, Family::v6, k.prefixlen, k.addr, e); });
    if (err)
      return err;
  }
  for (auto& c : s.lists) {
    bpfr_counter sum{};
    if (c.id >= max_entries_[list_stats])
      continue;
    if (auto err = sum_counter(list_stats, c.id, sum))
      return err;
    c.packets = sum.packets;
    c.bytes = sum.bytes;
  }
  std::sort(s.lists.begin(), s.lists.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return std::nullopt;
}

std::variant<Snapshot, std::string> Reader::read() const {
  Snapshot s;
  s.cpus = cpus_;
  s.mono_ns = clock_ns(CLOCK_MONOTONIC);
  s.realtime_ns = clock_ns(CLOCK_REALTIME);
  if (auto err = read_slots(s))
    return *err;
  for (uint32_t r = 0; r < BPFR_REASON_MAX && r < max_entries_[reason_stats]; r++)
    if (auto err = sum_counter(reason_stats, r, s.reasons[r]))
      return *err;
  if (auto err = read_ifaces(s))
    return *err;
  if (auto err = read_lists(s))
    return *err;
  return s;
}

}  // namespace bpfr::stats
