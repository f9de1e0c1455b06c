/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The maps of the router programs, laid out in include/bpfrouter/maps.h. Sizes
 * are the defaults; the loader may change max_entries before load.
 */
#ifndef BPFR_BPF_ROUTER_MAPS_H
#define BPFR_BPF_ROUTER_MAPS_H

#include "common.h"

/* routes_v4: LPM trie, struct bpfr_route_key_v4 -> struct bpfr_route_value */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_ROUTES_V4);
	__type(key, struct bpfr_route_key_v4);
	__type(value, struct bpfr_route_value);
} routes_v4 SEC(".maps");

/* routes_v6: LPM trie, struct bpfr_route_key_v6 -> struct bpfr_route_value */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_ROUTES_V6);
	__type(key, struct bpfr_route_key_v6);
	__type(value, struct bpfr_route_value);
} routes_v6 SEC(".maps");

/* nexthops: array, next-hop id -> struct bpfr_nexthop */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFR_MAX_NEXTHOPS);
	__type(key, __u32);
	__type(value, struct bpfr_nexthop);
} nexthops SEC(".maps");

/* tx_ports: devmap hash, ifindex -> struct bpf_devmap_val (egress program) */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, BPFR_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

/* route_stats: per-CPU array, slot -> struct bpfr_counter */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFR_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct bpfr_counter);
} route_stats SEC(".maps");

/* slot_prefixes: array, slot -> struct bpfr_slot_prefix (daemon only) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFR_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct bpfr_slot_prefix);
} slot_prefixes SEC(".maps");

/* reason_stats: per-CPU array, enum bpfr_reason -> struct bpfr_counter */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFR_REASON_MAX);
	__type(key, __u32);
	__type(value, struct bpfr_counter);
} reason_stats SEC(".maps");

/* iface_stats: per-CPU array, bpfr_iface.index -> struct bpfr_iface_counters */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFR_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpfr_iface_counters);
} iface_stats SEC(".maps");

/* ifaces: hash, ifindex -> struct bpfr_iface */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFR_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpfr_iface);
} ifaces SEC(".maps");

/* settings: array of one, 0 -> struct bpfr_settings */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfr_settings);
} settings SEC(".maps");

/* bogons_v4, bogons_v6: LPM trie, prefix -> struct bpfr_bogon */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v4);
	__type(value, struct bpfr_bogon);
} bogons_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v6);
	__type(value, struct bpfr_bogon);
} bogons_v6 SEC(".maps");

/* own_v4, own_v6: LPM trie, prefix we originate -> __u32 (0) */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v4);
	__type(value, __u32);
} own_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v6);
	__type(value, __u32);
} own_v6 SEC(".maps");

/* src_list_v4, dst_list_v4: LPM trie, prefix -> struct bpfr_list_entry */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v4);
	__type(value, struct bpfr_list_entry);
} src_list_v4 SEC(".maps"), dst_list_v4 SEC(".maps");

/* src_list_v6, dst_list_v6: LPM trie, prefix -> struct bpfr_list_entry */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v6);
	__type(value, struct bpfr_list_entry);
} src_list_v6 SEC(".maps"), dst_list_v6 SEC(".maps");

/* kpath_src_v4, kpath_dst_v4: LPM trie, prefix a firewall rule names -> struct bpfr_list_entry */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v4);
	__type(value, struct bpfr_list_entry);
} kpath_src_v4 SEC(".maps"), kpath_dst_v4 SEC(".maps");

/* kpath_src_v6, kpath_dst_v6: LPM trie, prefix a firewall rule names -> struct bpfr_list_entry */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, struct bpfr_route_key_v6);
	__type(value, struct bpfr_list_entry);
} kpath_src_v6 SEC(".maps"), kpath_dst_v6 SEC(".maps");

/* list_stats: per-CPU array, bpfr_list_entry.id -> struct bpfr_counter */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFR_MAX_FILTER_ENTRIES);
	__type(key, __u32);
	__type(value, struct bpfr_counter);
} list_stats SEC(".maps");

#endif /* BPFR_BPF_ROUTER_MAPS_H */
