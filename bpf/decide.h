/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What happens to a parsed packet: filters, route, next hop. Shared by the XDP
 * and the tc programs; it reads the packet only through struct packet and
 * changes nothing.
 */
#ifndef BPFR_BPF_DECIDE_H
#define BPFR_BPF_DECIDE_H

#include "common.h"
#include "filter.h"
#include "lookup.h"

#define NSEC_PER_SEC 1000000000ull

struct decision {
	struct bpfr_nexthop *nh; /* set for forward reasons */
	__u32 nh_id;
	__u32 slot; /* BPFR_NO_SLOT until a route matched */
};

static __always_inline struct bpfr_settings *settings_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&settings, &key);
}

/*
 * Learned routes are distrusted once the daemon's heartbeat is too old. A
 * heartbeat a little ahead of the coarse clock is fresh.
 */
static __always_inline int learned_routes_stale(const struct bpfr_settings *s)
{
	__s64 age;

	if (!s->stale_after_s)
		return 0;
	age = (__s64)(bpf_ktime_get_coarse_ns() - s->heartbeat_ns);
	return age > (__s64)(s->stale_after_s * NSEC_PER_SEC);
}

static __always_inline __u32 action_reason(__u8 action)
{
	switch (action) {
	case BPFR_ROUTE_FORWARD:
		return BPFR_CONTINUE;
	case BPFR_ROUTE_LOCAL:
		return BPFR_PASS_LOCAL;
	case BPFR_ROUTE_BLACKHOLE:
		return BPFR_DROP_BLACKHOLE;
	case BPFR_ROUTE_UNREACHABLE:
	case BPFR_ROUTE_PROHIBIT:
		return BPFR_PASS_UNREACHABLE;
	default:
		return BPFR_PASS_KERNEL_ROUTE;
	}
}

/* RFC 1812 5.3.1 and RFC 8200 3: the TTL check comes before the MTU check. */
static __always_inline __u32 nexthop_decide(const struct packet *p, __u32 id,
					    const struct bpfr_settings *s,
					    struct decision *d)
{
	struct bpfr_nexthop *nh;

	if (id == BPFR_NEXTHOP_NONE)
		return BPFR_PASS_NO_NEIGH;
	nh = bpf_map_lookup_elem(&nexthops, &id);
	if (!nh || !(nh->flags & BPFR_NH_F_VALID))
		return BPFR_PASS_NO_NEIGH;
	if (nh->kind == BPFR_NH_DUMMY)
		return BPFR_DROP_DUMMY;
	if (firewall_departure(s, nh->ifindex))
		return BPFR_PASS_FIREWALL;
	if (p->ttl <= 1)
		return BPFR_PASS_TTL;
	if (nh->mtu && p->l3_len > nh->mtu)
		return BPFR_PASS_MTU;

	d->nh = nh;
	d->nh_id = id;
	if (nh->kind == BPFR_NH_L3)
		return BPFR_FORWARD_TC;
	if (nh->kind != BPFR_NH_ETHERNET)
		return BPFR_PASS_NO_TX;
	if (!(nh->flags & BPFR_NH_F_MAC))
		return BPFR_PASS_NO_NEIGH;
	return BPFR_FORWARD_XDP;
}

/*
 * The reason for a packet that classify_*() let through. BPFR_FORWARD_XDP means
 * an Ethernet next hop with a known MAC, BPFR_FORWARD_TC an L3 device; d->nh is
 * then set.
 */
static __always_inline __u32 route_decide(const struct packet *p,
					  const struct bpfr_iface *ifc,
					  const struct bpfr_settings *s,
					  struct decision *d)
{
	struct bpfr_route_value rt;
	__u32 reason;

	reason = filter_source(p, ifc);
	if (reason != BPFR_CONTINUE)
		return reason;
	reason = filter_destination(p, s);
	if (reason != BPFR_CONTINUE)
		return reason;
	if (p->deferred != BPFR_CONTINUE)
		return p->deferred;
	reason = firewall_arrival(p, ifc);
	if (reason != BPFR_CONTINUE)
		return reason;

	if (!route_lookup(p->family, &p->dst, &rt))
		return s->no_route_drop ? BPFR_DROP_NO_ROUTE
					: BPFR_PASS_NO_ROUTE;
	d->slot = rt.slot;
	if ((rt.flags & BPFR_ROUTE_F_LEARNED) && learned_routes_stale(s))
		return BPFR_PASS_STALE;
	reason = action_reason(rt.action);
	if (reason != BPFR_CONTINUE)
		return reason;
	return nexthop_decide(p, rt.nexthop, s, d);
}

#endif /* BPFR_BPF_DECIDE_H */
