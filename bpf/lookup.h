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
#include "router_maps.h"

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
 * The route for a destination, copied to *rt; 0 when no route matches. A copy,
 * so that a table whose entries are not struct bpfr_route_value can answer here
 * too.
 */
static __always_inline int route_lookup_v4(__be32 addr,
					   struct bpfr_route_value *rt)
{
	struct bpfr_route_value *v = lpm_lookup_v4(&routes_v4, addr);

	if (!v)
		return 0;
	*rt = *v;
	return 1;
}

static __always_inline int route_lookup_v6(const __u8 *addr,
					   struct bpfr_route_value *rt)
{
	struct bpfr_route_value *v = lpm_lookup_v6(&routes_v6, addr);

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
