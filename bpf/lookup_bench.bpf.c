// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Lookup cost under BPF_PROG_TEST_RUN (tools/lookup-bench). Each run walks the next
 * BENCH_BATCH destinations of bench_addrs, so repeated runs see fresh addresses, and every
 * program does the same walk: the empty one is the baseline that the others are net of.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpfrouter/maps.h"
#include "fastfib.h"

#define BENCH_BATCH 64
#define BENCH_MAX_ADDRS (1u << 20)
#define BENCH_ARRAY_ENTRIES (8u << 20) /* 64 MiB of __u64 */

const volatile __u32 n_addrs = 1;

struct bench_addr {
	__u8 addr[16];
};

/* bench_addrs: array, index -> destination (IPv4 in the first 4 bytes) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct bench_addr);
	__uint(max_entries, BENCH_MAX_ADDRS);
} bench_addrs SEC(".maps");

/* bench_cursor: per-CPU array, 0 -> next index into bench_addrs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} bench_cursor SEC(".maps");

/* bench_big: array, random index -> word; the cost of one uncached read */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, BENCH_ARRAY_ENTRIES);
} bench_big SEC(".maps");

/* trie_v4_map, trie_v6_map: LPM tries with the layout of routes_v4/routes_v6 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bpfr_route_key_v4);
	__type(value, struct bpfr_route_value);
	__uint(max_entries, BPFR_MAX_ROUTES_V4);
} trie_v4_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bpfr_route_key_v6);
	__type(value, struct bpfr_route_value);
	__uint(max_entries, BPFR_MAX_ROUTES_V6);
} trie_v6_map SEC(".maps");

enum bench_kind {
	BENCH_EMPTY,
	BENCH_ARRAY,
	BENCH_FASTFIB_V4,
	BENCH_FASTFIB_V6,
	BENCH_TRIE_V4,
	BENCH_TRIE_V6,
};

static __always_inline __u64 trie_v4(const __u8 *addr)
{
	struct bpfr_route_key_v4 key = {.prefixlen = 32};
	struct bpfr_route_value *v;

	__builtin_memcpy(key.addr, addr, 4);
	v = bpf_map_lookup_elem(&trie_v4_map, &key);
	return v ? v->nexthop : 0;
}

static __always_inline __u64 trie_v6(const __u8 *addr)
{
	struct bpfr_route_key_v6 key = {.prefixlen = 128};
	struct bpfr_route_value *v;

	__builtin_memcpy(key.addr, addr, 16);
	v = bpf_map_lookup_elem(&trie_v6_map, &key);
	return v ? v->nexthop : 0;
}

static __always_inline __u64 one_lookup(enum bench_kind kind, const __u8 *addr)
{
	__u32 word = *(const __u32 *)addr;
	__u64 e;

	switch (kind) {
	case BENCH_ARRAY: {
		__u32 i = (word * 2654435761u) % BENCH_ARRAY_ENTRIES;
		__u64 *v = bpf_map_lookup_elem(&bench_big, &i);

		return v ? *v : 0;
	}
	case BENCH_FASTFIB_V4:
		e = fastfib_lookup_v4(bpf_ntohl(word));
		if (BPFR_FIB_FLAGS(e) & BPFR_FIB_F_TRIE)
			return trie_v4(addr);
		return e;
	case BENCH_FASTFIB_V6:
		e = fastfib_lookup_v6(addr);
		if (BPFR_FIB_FLAGS(e) & BPFR_FIB_F_TRIE)
			return trie_v6(addr);
		return e;
	case BENCH_TRIE_V4:
		return trie_v4(addr);
	case BENCH_TRIE_V6:
		return trie_v6(addr);
	default:
		return word;
	}
}

static __always_inline int bench(enum bench_kind kind)
{
	__u32 zero = 0, i;
	__u32 *cursor = bpf_map_lookup_elem(&bench_cursor, &zero);
	__u64 sink = 0;

	if (!cursor)
		return XDP_ABORTED;

	for (i = 0; i < BENCH_BATCH; i++) {
		__u32 index = (*cursor + i) % n_addrs;
		struct bench_addr *a = bpf_map_lookup_elem(&bench_addrs, &index);

		if (!a)
			return XDP_ABORTED;
		sink += one_lookup(kind, a->addr);
	}
	*cursor += BENCH_BATCH;
	return sink == 0x5a5a5a5a5a5a5a5aull ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int bench_empty(struct xdp_md *ctx)
{
	return bench(BENCH_EMPTY);
}

SEC("xdp")
int bench_array(struct xdp_md *ctx)
{
	return bench(BENCH_ARRAY);
}

SEC("xdp")
int bench_fastfib_v4(struct xdp_md *ctx)
{
	return bench(BENCH_FASTFIB_V4);
}

SEC("xdp")
int bench_fastfib_v6(struct xdp_md *ctx)
{
	return bench(BENCH_FASTFIB_V6);
}

SEC("xdp")
int bench_trie_v4(struct xdp_md *ctx)
{
	return bench(BENCH_TRIE_V4);
}

SEC("xdp")
int bench_trie_v6(struct xdp_md *ctx)
{
	return bench(BENCH_TRIE_V6);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
