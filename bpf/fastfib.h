/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fast route lookups in the mmapable tables of include/bpfrouter/fastfib.h. Each returns one
 * table entry; the caller falls back to the LPM trie when the entry says BPFR_FIB_F_TRIE.
 */
#ifndef BPFR_BPF_FASTFIB_H
#define BPFR_BPF_FASTFIB_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "bpfrouter/fastfib.h"

/*
 * The tables are hundreds of MiB at full size, so they are declared with one entry and the
 * loader sizes them (fastfib_size_maps() in userspace/dataplane/fast_table.h) when it
 * switches them on.
 */

/* fib4_tbl24: array, (destination >> 8) -> table entry */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} fib4_tbl24 SEC(".maps");

/* fib4_tbl8: array, group * 256 + (destination & 0xff) -> table entry */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} fib4_tbl8 SEC(".maps");

/* fib6_root: array, first 16 bits of the destination -> table entry */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} fib6_root SEC(".maps");

/* fib6_nodes: array, node * 256 + next destination byte -> table entry */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} fib6_nodes SEC(".maps");

/* A zero entry: no route, nothing below. */
#define BPFR_FIB_MISS 0ull

static __always_inline __u64 fib_read(void *map, __u32 index)
{
	__u64 *entry = bpf_map_lookup_elem(map, &index);

	return entry ? *(volatile __u64 *)entry : BPFR_FIB_MISS;
}

/* daddr in host byte order */
static __always_inline __u64 fastfib_lookup_v4(__u32 daddr)
{
	__u64 entry = fib_read(&fib4_tbl24, daddr >> 8);

	if (!(BPFR_FIB_FLAGS(entry) & BPFR_FIB_F_CHILD))
		return entry;
	return fib_read(&fib4_tbl8, BPFR_FIB_REF(entry) * BPFR_FIB_NODE_ENTRIES +
					    (daddr & 0xff));
}

#define BPFR_FIB6_ROOT_BYTES (BPFR_FIB6_ROOT_BITS / 8)
_Static_assert(BPFR_FIB6_ROOT_BYTES == 3, "fastfib_lookup_v6 reads a three-byte root index");

static __always_inline __u64 fastfib_lookup_v6(const __u8 daddr[16])
{
	__u64 entry = fib_read(&fib6_root, (__u32)daddr[0] << 16 |
						   (__u32)daddr[1] << 8 | daddr[2]);
	int level;

	for (level = 0; level < BPFR_FIB6_LEVELS; level++) {
		if (!(BPFR_FIB_FLAGS(entry) & BPFR_FIB_F_CHILD))
			break;
		entry = fib_read(&fib6_nodes,
				 BPFR_FIB_REF(entry) * BPFR_FIB_NODE_ENTRIES +
					 daddr[BPFR_FIB6_ROOT_BYTES + level]);
	}
	return entry;
}

#endif /* BPFR_BPF_FASTFIB_H */
