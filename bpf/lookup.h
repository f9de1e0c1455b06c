/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Longest-prefix lookups. route_lookup_v4() and route_lookup_v6() are the only
 * way the programs find a route, for destinations and for uRPF alike, so a
 * faster structure (bpf/fastfib.h) can be put in front of the tries in one
 * place.
 */
#ifndef BPFR_BPF_LOOKUP_H
#define BPFR_BPF_LOOKUP_H

#include "common.h"
#include "fastfib.h"
#include "router_maps.h"

/*
 * Whether the fast tables answer first. Off unless the loader switches them on (and sizes
 * their maps): the tries alone are correct, the tables make full-table lookups cheap.
 */
const volatile __u8 fastfib_v4 = 0;
const volatile __u8 fastfib_v6 = 0;

/* Longest match of a host address in any LPM trie of the shared key layout. */
static __always_inline void *lpm_lookup_v4(void *trie, __be32 addr)
{
	struct bpfr_route_key_v4 key = {.prefixlen = 32};

	__builtin_memcpy(key.addr, &addr, sizeof(key.addr));
	return bpf_map_lookup_elem(trie, &key);
}

static __always_inline void *lpm_lookup_v6(void *trie, const __u8 *addr)
{
	struct bpfr_route_key_v6 key = {.prefixlen = 128};

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(trie, &key);
}

static __always_inline void *lpm_lookup(__u8 family, void *trie_v4,
					void *trie_v6,
					const union bpfr_addr *addr)
{
	if (family == 4)
		return lpm_lookup_v4(trie_v4, addr->v4);
	return lpm_lookup_v6(trie_v6, addr->v6);
}

/*
 * A fast-table entry as a route; -1 when the table cannot answer and the trie
 * must.
 */
static __always_inline int fib_entry_route(__u64 entry,
					   struct bpfr_route_value *rt)
{
	__u8 flags = BPFR_FIB_FLAGS(entry);

	if (flags & BPFR_FIB_F_TRIE)
		return -1;
	if (!(flags & BPFR_FIB_F_ROUTE))
		return 0;
	rt->nexthop = BPFR_FIB_NEXTHOP(entry);
	rt->slot = BPFR_FIB_REF(entry);
	rt->action = BPFR_FIB_ACTION(entry);
	rt->flags = flags >> BPFR_FIB_F_ROUTE_FLAGS_SHIFT;
	rt->pad = 0;
	return 1;
}

/*
 * The route for a destination, copied to *rt; 0 when no route matches. A copy,
 * so that a table whose entries are not struct bpfr_route_value can answer here
 * too.
 */
static __always_inline int route_lookup_v4(__be32 addr,
					   struct bpfr_route_value *rt)
{
	struct bpfr_route_value *v;
	int found;

	if (fastfib_v4) {
		found = fib_entry_route(fastfib_lookup_v4(bpf_ntohl(addr)), rt);
		if (found >= 0)
			return found;
	}

	v = lpm_lookup_v4(&routes_v4, addr);

	if (!v)
		return 0;
	*rt = *v;
	return 1;
}

static __always_inline int route_lookup_v6(const __u8 *addr,
					   struct bpfr_route_value *rt)
{
	struct bpfr_route_value *v;
	int found;

	if (fastfib_v6) {
		found = fib_entry_route(fastfib_lookup_v6(addr), rt);
		if (found >= 0)
			return found;
	}

	v = lpm_lookup_v6(&routes_v6, addr);

	if (!v)
		return 0;
	*rt = *v;
	return 1;
}

static __always_inline int route_lookup(__u8 family,
					const union bpfr_addr *addr,
					struct bpfr_route_value *rt)
{
	if (family == 4)
		return route_lookup_v4(addr->v4, rt);
	return route_lookup_v6(addr->v6, rt);
}

#endif /* BPFR_BPF_LOOKUP_H */
