/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fast lookup tables that stand in front of the LPM tries on the packet path.
 *
 * IPv4 is a DIR-24-8 table: fib4_tbl24 has one entry per /24, and an entry whose /24 holds
 * longer prefixes points to a group of 256 entries in fib4_tbl8. A lookup is one read, two for
 * addresses under a prefix longer than /24.
 *
 * IPv6 is a multibit table with strides 24, 8, 8, 8: fib6_root has one entry per /24 and
 * nodes of 256 entries in fib6_nodes resolve /32, /40 and /48, so the /32s and /48s that make
 * up most of a real table take two and four reads. Prefixes longer than /48 are rare in real
 * tables; the /48 entry that holds one is marked BPFR_FIB_F_TRIE and its lookups go to the
 * LPM trie routes_v6, which holds every route.
 *
 * Both tables are BPF_F_MMAPABLE arrays that the daemon writes through mmap. Every entry is
 * one aligned 64-bit word, written with a single store, so a lookup sees an entry either
 * before or after an update, never half of it. A new node is filled before the entry that
 * points to it is published, and a freed node is reused only after a grace period.
 */
#ifndef BPFROUTER_FASTFIB_H
#define BPFROUTER_FASTFIB_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define BPFR_FIB_NODE_ENTRIES 256u

#define BPFR_FIB4_ROOT_BITS 24
#define BPFR_FIB4_ROOT_ENTRIES (1u << BPFR_FIB4_ROOT_BITS)
#define BPFR_FIB4_GROUPS 4096u /* /24s holding longer prefixes: 8 MiB; a real table needs ~500 */

#define BPFR_FIB6_ROOT_BITS 24 /* 128 MiB */
#define BPFR_FIB6_ROOT_ENTRIES (1u << BPFR_FIB6_ROOT_BITS)
#define BPFR_FIB6_LEVELS 3 /* below the root: /32, /40, /48 */
#define BPFR_FIB6_NODES 98304u /* 192 MiB; 160k real prefixes take 37k, 230k 73k */

/*
 * One table entry, read and written as a single __u64:
 * bits 0-31 ref, 32-47 nexthop, 48-55 action, 56-63 flags.
 */
#define BPFR_FIB_F_ROUTE 0x01 /* a route covers this entry: ref is its counter slot */
#define BPFR_FIB_F_CHILD 0x02 /* ref is the index of a node with longer prefixes */
#define BPFR_FIB_F_TRIE 0x04  /* the table cannot answer here: look up the LPM trie */
#define BPFR_FIB_F_ROUTE_FLAGS_SHIFT 4 /* the route's BPFR_ROUTE_F_* in the high nibble */

#define BPFR_FIB_REF(e) ((__u32)(e))
#define BPFR_FIB_NEXTHOP(e) ((__u32)(((e) >> 32) & 0xffff))
#define BPFR_FIB_ACTION(e) ((__u8)((e) >> 48))
#define BPFR_FIB_FLAGS(e) ((__u8)((e) >> 56))

#define BPFR_FIB_ENTRY(ref, nexthop, action, flags)                                   \
	((__u64)(__u32)(ref) | (__u64)((nexthop) & 0xffff) << 32 |                     \
	 (__u64)(__u8)(action) << 48 | (__u64)(__u8)(flags) << 56)

#endif /* BPFROUTER_FASTFIB_H */
