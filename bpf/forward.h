/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Rewriting a packet on its way out: TTL, hop limit, link-layer header. */
#ifndef BPFR_BPF_FORWARD_H
#define BPFR_BPF_FORWARD_H

#include "common.h"
#include "parse.h"

/* RFC 1624 eqn. 3 over the TTL/protocol word: HC' = ~(~HC + ~m + m'). */
static __always_inline void ipv4_decrement_ttl(struct iphdr *iph)
{
	__u32 old = ((__u32)iph->ttl << 8) | iph->protocol;
	__u32 new = old - 0x100;
	__u32 sum;

	sum = (~bpf_ntohs(iph->check) & 0xffff) + (~old & 0xffff) + new;
	iph->check = bpf_htons(csum_fold(sum));
	iph->ttl--;
}

static __always_inline void ip_decrement_ttl(const struct packet *p,
					     void *data_end)
{
	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		if ((void *)(iph + 1) <= data_end)
			ipv4_decrement_ttl(iph);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) <= data_end)
			ip6->hop_limit--;
	}
}

static __always_inline __u16 family_ethertype(__u8 family)
{
	return family == 4 ? ETH_P_IP : ETH_P_IPV6;
}

/*
 * Replace the frame's link-layer header (l2_len bytes) with the next hop's:
 * MACs, and an 802.1Q tag when the next hop has a VLAN.
 */
static __always_inline int xdp_write_l2(struct xdp_md *ctx, __u16 l2_len,
					__u8 family,
					const struct bpfr_nexthop *nh)
{
	int want = nh->vlan_id ? ETH_HLEN + VLAN_HLEN : ETH_HLEN;
	__u16 vlan_id = nh->vlan_id;
	struct vlan_hdr *vh;
	struct ethhdr *eth;
	void *data_end;

	if (want != l2_len && bpf_xdp_adjust_head(ctx, (int)l2_len - want))
		return -1;

	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	if (!vlan_id) {
		eth->h_proto = bpf_htons(family_ethertype(family));
		return 0;
	}
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > data_end)
		return -1;
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	vh->h_vlan_TCI = bpf_htons(vlan_id & VLAN_VID_MASK);
	vh->h_vlan_encapsulated_proto = bpf_htons(family_ethertype(family));
	return 0;
}

/* Hand the lookup result to tc_ingress in front of the frame. */
static __always_inline int xdp_write_meta(struct xdp_md *ctx, __u32 nh_id,
					  __u32 slot)
{
	struct bpfr_xdp_meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return -1;
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return -1;
	m->magic = BPFR_META_MAGIC;
	m->nexthop = nh_id;
	m->slot = slot;
	m->pad = 0;
	return 0;
}

/*
 * The same TTL step on an skb, through helpers so that a CHECKSUM_COMPLETE sum
 * stays right. l3_off is the IP header's offset from skb->data.
 */
static __always_inline int
skb_decrement_ttl(struct __sk_buff *skb, __u32 l3_off, __u8 family, __u8 ttl)
{
	__u8 new_ttl = ttl - 1;

	if (family == 6)
		return bpf_skb_store_bytes(
		    skb, l3_off + offsetof(struct ipv6hdr, hop_limit), &new_ttl,
		    1, BPF_F_RECOMPUTE_CSUM);
	if (bpf_l3_csum_replace(skb, l3_off + offsetof(struct iphdr, check),
				bpf_htons((__u16)ttl << 8),
				bpf_htons((__u16)new_ttl << 8), 2))
		return -1;
	return bpf_skb_store_bytes(skb, l3_off + offsetof(struct iphdr, ttl),
				   &new_ttl, 1, 0);
}

/*
 * Put the next hop's Ethernet header in front of the IP header at l3_off: make
 * room when there is less than ETH_HLEN before it, and tag through the skb's
 * VLAN field.
 */
static __always_inline int skb_write_l2(struct __sk_buff *skb, __u32 l3_off,
					__u8 family,
					const struct bpfr_nexthop *nh)
{
	struct ethhdr eth;
	__u32 off;

	if (l3_off > ETH_HLEN)
		return -1;
	__builtin_memcpy(eth.h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth.h_source, nh->smac, ETH_ALEN);
	eth.h_proto = bpf_htons(family_ethertype(family));
	off = ETH_HLEN - l3_off;
	if (off && bpf_skb_change_head(skb, off, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0))
		return -1;
	if (nh->vlan_id && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q),
					     nh->vlan_id & VLAN_VID_MASK))
		return -1;
	return 0;
}

#endif /* BPFR_BPF_FORWARD_H */
