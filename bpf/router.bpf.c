// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The fast path. xdp_router forwards between Ethernet devices and hands
 * everything it must not or cannot forward to the kernel, counted by reason.
 * Packets for L3 devices (WireGuard, TUN) leave it with their lookup result in
 * XDP metadata, and tc_ingress on the same device redirects them. tc_l3_ingress
 * forwards what arrives on L3 devices, and xdp_devmap_tx counts what XDP handed
 * to each device.
 */
#include "classify.h"
#include "common.h"
#include "counters.h"
#include "decide.h"
#include "forward.h"
#include "router_maps.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* Largest offset of an IP header from skb->data that tc_l3_ingress accepts. */
#define L3_OFF_MAX 64

static __always_inline int xdp_verdict(__u32 reason)
{
	if (reason_is_drop(reason))
		return XDP_DROP;
	return XDP_PASS;
}

/*
 * TTL, link-layer header, redirect; the caller has counted the packet. Without
 * headroom for a VLAN tag the frame is dropped, its TTL already changed.
 */
static __always_inline int xdp_redirect_out(struct xdp_md *ctx,
					    const struct packet *p,
					    const struct bpfr_nexthop *nh)
{
	__u32 ifindex = nh->ifindex;

	ip_decrement_ttl(p, (void *)(long)ctx->data_end);
	if (xdp_write_l2(ctx, p->l2_len, p->family, nh) < 0)
		return XDP_DROP;
	return bpf_redirect_map(&tx_ports, ifindex, XDP_PASS);
}

/* Forward reasons that cannot be carried out become hand-offs to the kernel. */
static __always_inline __u32 xdp_prepare(struct xdp_md *ctx, __u32 reason,
					 const struct decision *d)
{
	__u32 ifindex;

	if (reason == BPFR_FORWARD_TC)
		return xdp_write_meta(ctx, d->nh_id, d->slot) < 0
			   ? BPFR_PASS_NO_TX
			   : reason;
	if (reason != BPFR_FORWARD_XDP || !d->nh)
		return reason;
	ifindex = d->nh->ifindex;
	if (!bpf_map_lookup_elem(&tx_ports, &ifindex))
		return BPFR_PASS_NO_TX;
	return reason;
}

static __always_inline int xdp_route(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = {.pos = data, .end = data_end};
	struct packet p = {
	    .ifindex = ctx->ingress_ifindex,
	    .bytes = data_end - data,
	    .deferred = BPFR_CONTINUE,
	};
	struct decision d = {.slot = BPFR_NO_SLOT};
	struct bpfr_settings *s = settings_get();
	struct bpfr_iface *ifc;
	__u32 reason;

	if (!s || !s->enabled) {
		count_reason(BPFR_PASS_DISABLED, p.bytes);
		return XDP_PASS;
	}
	ifc = bpf_map_lookup_elem(&ifaces, &p.ifindex);
	if (!ifc) {
		count_reason(BPFR_PASS_NO_IFACE, p.bytes);
		return XDP_PASS;
	}
	count_rx(ifc->index, p.bytes);

	reason = classify_frame(&c, &p);
	if (reason == BPFR_CONTINUE)
		reason = route_decide(&p, ifc, s, &d);
	reason = xdp_prepare(ctx, reason, &d);
	count_outcome(ifc->index, reason, d.slot, p.bytes);

	if (reason == BPFR_FORWARD_XDP && d.nh)
		return xdp_redirect_out(ctx, &p, d.nh);
	return xdp_verdict(reason);
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	return xdp_route(ctx);
}

/* Runs in tx_ports entries: what XDP actually hands to the device. */
SEC("xdp/devmap")
int xdp_devmap_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	count_tx(ctx->egress_ifindex, data_end - data);
	return XDP_PASS;
}

/* Offset of the IP header in an skb seen by tc: the MAC header's length. */
static __always_inline __u32 skb_l3_offset(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return (__u32)kskb->network_header - (__u32)kskb->mac_header;
}

/* Decrement, redirect and count a packet that XDP sent to an L3 device. */
static __always_inline int tc_forward_meta(struct __sk_buff *skb,
					   const struct bpfr_xdp_meta *m)
{
	struct bpfr_nexthop *nh;
	struct cursor c;
	struct packet p = {.deferred = BPFR_CONTINUE};
	__u32 id = m->nexthop;

	nh = bpf_map_lookup_elem(&nexthops, &id);
	if (!nh || !(nh->flags & BPFR_NH_F_VALID) || nh->kind != BPFR_NH_L3)
		return TC_ACT_OK;
	c.pos = (void *)(long)skb->data;
	c.end = (void *)(long)skb->data_end;
	if (classify_frame(&c, &p) != BPFR_CONTINUE || p.ttl <= 1)
		return TC_ACT_OK;
	if (skb_decrement_ttl(skb, p.l2_len, p.family, p.ttl) < 0)
		return TC_ACT_OK;
	count_tx(nh->ifindex, skb->len);
	return bpf_redirect(nh->ifindex, 0);
}

/* Ethernet devices with xdp_router: finish BPFR_NH_L3 forwarding. */
SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct bpfr_xdp_meta *m = (void *)(long)skb->data_meta;

	if ((void *)(m + 1) > data)
		return TC_ACT_OK;
	if (m->magic != BPFR_META_MAGIC || (void *)(m + 1) != data)
		return TC_ACT_OK;
	return tc_forward_meta(skb, m);
}

static __always_inline __u32 tc_classify_l3(struct __sk_buff *skb,
					    struct packet *p, __u32 l3_off)
{
	struct cursor c;

	c.pos = (void *)(long)skb->data;
	c.end = (void *)(long)skb->data_end;
	if (l3_off > L3_OFF_MAX)
		return BPFR_PASS_MALFORMED;
	c.pos += l3_off;
	p->l2_len = l3_off;
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return classify_ipv6(&c, p);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return classify_ipv4(&c, p);
	return BPFR_PASS_CONTROL;
}

/* A GSO packet is checked against the MTU by its largest segment. */
static __always_inline void tc_gso_len(struct __sk_buff *skb, struct packet *p)
{
	__u32 ip_hlen =
	    p->family == 4 ? ((struct iphdr *)p->l3)->ihl * 4 : IPV6_HLEN;

	if (skb->gso_size)
		p->l3_len = skb->gso_size + ip_hlen + TCP_MAX_HLEN;
}

static __always_inline __u32 tc_l3_forward(struct __sk_buff *skb,
					   const struct packet *p,
					   const struct bpfr_nexthop *nh,
					   __u32 reason)
{
	if (reason == BPFR_FORWARD_XDP &&
	    skb_write_l2(skb, p->l2_len, p->family, nh) < 0)
		return BPFR_PASS_NO_TX;
	return BPFR_FORWARD_TC;
}

static __always_inline int tc_route_l3(struct __sk_buff *skb)
{
	struct packet p = {
	    .ifindex = skb->ifindex,
	    .bytes = skb->len,
	    .deferred = BPFR_CONTINUE,
	};
	struct decision d = {.slot = BPFR_NO_SLOT};
	struct bpfr_settings *s = settings_get();
	struct bpfr_iface *ifc;
	__u32 reason, l3_off;

	if (!s || !s->enabled) {
		count_reason(BPFR_PASS_DISABLED, p.bytes);
		return TC_ACT_OK;
	}
	ifc = bpf_map_lookup_elem(&ifaces, &p.ifindex);
	if (!ifc) {
		count_reason(BPFR_PASS_NO_IFACE, p.bytes);
		return TC_ACT_OK;
	}
	count_rx(ifc->index, p.bytes);

	l3_off = skb_l3_offset(skb);
	reason = tc_classify_l3(skb, &p, l3_off);
	if (reason == BPFR_CONTINUE) {
		tc_gso_len(skb, &p);
		reason = route_decide(&p, ifc, s, &d);
	}
	if (reason_is_forward(reason) && d.nh) {
		if (skb_decrement_ttl(skb, l3_off, p.family, p.ttl) < 0)
			reason = BPFR_PASS_MALFORMED;
		else
			reason = tc_l3_forward(skb, &p, d.nh, reason);
	}
	count_outcome(ifc->index, reason, d.slot, p.bytes);

	if (reason == BPFR_FORWARD_TC && d.nh) {
		count_tx(d.nh->ifindex, skb->len);
		return bpf_redirect(d.nh->ifindex, 0);
	}
	return reason_is_drop(reason) ? TC_ACT_SHOT : TC_ACT_OK;
}

/* L3 devices (WireGuard, TUN): packets arrive without a MAC header. */
SEC("tc")
int tc_l3_ingress(struct __sk_buff *skb)
{
	return tc_route_l3(skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
