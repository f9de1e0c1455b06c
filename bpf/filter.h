/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source and destination filters, in this order: the operator's lists, sources
 * that can never be valid, bogon categories, our own prefixes arriving from
 * outside, uRPF. Then what the host's firewall keeps on the kernel path.
 */
#ifndef BPFR_BPF_FILTER_H
#define BPFR_BPF_FILTER_H

#include "common.h"
#include "counters.h"
#include "lookup.h"

/*
 * ::/96 (unspecified, loopback, IPv4-compatible), ::ffff:0:0/96 (IPv4-mapped)
 * and ff00::/8 (multicast): RFC 4291 2.5.2, 2.5.3, 2.5.5 and 2.7.
 */
static __always_inline int ipv6_src_never_valid(const __u8 *a)
{
	const __u16 *w = (const __u16 *)a;

	if (a[0] == 0xff)
		return 1;
	if (w[0] | w[1] | w[2] | w[3] | w[4])
		return 0;
	return w[5] == 0 || w[5] == 0xffff;
}

/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved. */
static __always_inline int ipv4_src_never_valid(__be32 a)
{
	__u8 first = bpf_ntohl(a) >> 24;

	return first == 0 || first == 127 || first >= 224;
}

static __always_inline int src_never_valid(const struct packet *p)
{
	if (p->family == 4)
		return ipv4_src_never_valid(p->src.v4);
	return ipv6_src_never_valid(p->src.v6);
}

static __always_inline int in_bogon_category(const struct packet *p,
					     const union bpfr_addr *a,
					     __u32 categories)
{
	struct bpfr_bogon *b;

	if (!categories)
		return 0;
	b = lpm_lookup(p->family, &bogons_v4, &bogons_v6, a);
	return b && (b->categories & categories);
}

/*
 * RFC 3704: loose needs a route to the source that would forward (blackhole,
 * unreachable and prohibit routes fail, RFC 5635); strict also needs that route
 * to leave through the device and VLAN the packet arrived on.
 */
static __always_inline int urpf_pass(const struct packet *p, __u8 mode)
{
	struct bpfr_route_value rt;
	struct bpfr_nexthop *nh;
	__u32 id;

	if (!route_lookup(p->family, &p->src, &rt))
		return 0;
	if (rt.action != BPFR_ROUTE_FORWARD && rt.action != BPFR_ROUTE_KERNEL)
		return 0;
	if (mode != BPFR_URPF_STRICT)
		return 1;
	id = rt.nexthop;
	nh = bpf_map_lookup_elem(&nexthops, &id);
	return nh && (nh->flags & BPFR_NH_F_VALID) &&
	       nh->ifindex == p->ifindex && nh->vlan_id == p->vlan_id;
}

/*
 * An operator list's verdict on one address: BPFR_LIST_ALLOW, BPFR_LIST_DROP,
 * or 0 when no entry matches. Every match is counted on its entry.
 */
static __always_inline __u8 list_verdict(const struct packet *p, void *list_v4,
					 void *list_v6,
					 const union bpfr_addr *a)
{
	struct bpfr_list_entry *e = lpm_lookup(p->family, list_v4, list_v6, a);

	if (!e)
		return 0;
	count_list_entry(e->id, p->bytes);
	return e->action;
}

static __always_inline __u32 filter_source(const struct packet *p,
					   const struct bpfr_iface *ifc)
{
	__u8 listed = list_verdict(p, &src_list_v4, &src_list_v6, &p->src);

	if (listed == BPFR_LIST_DROP)
		return BPFR_DROP_SRC_LIST;
	if (listed == BPFR_LIST_ALLOW)
		return BPFR_CONTINUE;

	if ((ifc->flags & BPFR_IFACE_F_BOGON_SRC) && src_never_valid(p))
		return BPFR_DROP_BOGON_SRC;
	if (in_bogon_category(p, &p->src, ifc->bogon_src))
		return BPFR_DROP_BOGON_SRC;
	if ((ifc->flags & BPFR_IFACE_F_SPOOF_OWN) &&
	    lpm_lookup(p->family, &own_v4, &own_v6, &p->src))
		return BPFR_DROP_SPOOFED;
	if (ifc->urpf != BPFR_URPF_OFF && !urpf_pass(p, ifc->urpf))
		return BPFR_DROP_URPF;
	return BPFR_CONTINUE;
}

static __always_inline __u32 filter_destination(const struct packet *p,
						const struct bpfr_settings *s)
{
	__u8 listed = list_verdict(p, &dst_list_v4, &dst_list_v6, &p->dst);

	if (listed == BPFR_LIST_DROP)
		return BPFR_DROP_DST_LIST;
	if (listed == BPFR_LIST_ALLOW)
		return BPFR_CONTINUE;

	if (in_bogon_category(p, &p->dst, s->bogon_dst))
		return BPFR_DROP_BOGON_DST;
	return BPFR_CONTINUE;
}

/*
 * Traffic a host firewall rule concerns goes to the kernel, where the rule
 * applies: arrivals on a device a rule names, sources and destinations inside
 * prefixes a rule names (each match counted on its entry).
 */
static __always_inline __u32 firewall_arrival(const struct packet *p,
					      const struct bpfr_iface *ifc)
{
	if (ifc->flags & BPFR_IFACE_F_KERNEL_IN)
		return BPFR_PASS_FIREWALL;
	if (list_verdict(p, &kpath_src_v4, &kpath_src_v6, &p->src))
		return BPFR_PASS_FIREWALL;
	if (list_verdict(p, &kpath_dst_v4, &kpath_dst_v6, &p->dst))
		return BPFR_PASS_FIREWALL;
	return BPFR_CONTINUE;
}

/* Forwarding out of a device a rule names goes to the kernel too. */
static __always_inline int firewall_departure(const struct bpfr_settings *s,
					      __u32 ifindex)
{
	struct bpfr_iface *out;

	if (!s->kernel_out)
		return 0;
	out = bpf_map_lookup_elem(&ifaces, &ifindex);
	return out && (out->flags & BPFR_IFACE_F_KERNEL_OUT);
}

#endif /* BPFR_BPF_FILTER_H */
