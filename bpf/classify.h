/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reads a frame into struct packet and sorts out what is not for the fast path:
 * non-IP, malformed, link-local and multicast. Hand-offs that must still pass
 * the filters (hop-by-hop options, IPv4 options, neighbour discovery) are left
 * in packet.deferred.
 */
#ifndef BPFR_BPF_CLASSIFY_H
#define BPFR_BPF_CLASSIFY_H

#include "common.h"
#include "parse.h"

/* fe80::/10 link-local or ff00::/8 multicast. */
static __always_inline int ipv6_is_local_scope(const __u8 *a)
{
	return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static __always_inline int ipv6_is_link_local(const __u8 *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* 169.254.0.0/16 link-local. */
static __always_inline int ipv4_is_link_local(__be32 a)
{
	return (bpf_ntohl(a) >> 16) == 0xa9fe;
}

/* 224.0.0.0/4 multicast or the limited broadcast address. */
static __always_inline int ipv4_is_group(__be32 a)
{
	__u32 h = bpf_ntohl(a);

	return (h >> 28) == 0xe || h == 0xffffffff;
}

static __always_inline __u32 classify_ipv6(struct cursor *c, struct packet *p)
{
	struct ipv6hdr *ip6;
	__u8 type;

	if (parse_ipv6hdr(c, &ip6) < 0)
		return BPFR_PASS_MALFORMED;
	p->l3 = ip6;
	p->family = 6;
	p->ttl = ip6->hop_limit;
	p->l3_len = IPV6_HLEN + bpf_ntohs(ip6->payload_len);
	__builtin_memcpy(p->src.v6, &ip6->saddr, 16);
	__builtin_memcpy(p->dst.v6, &ip6->daddr, 16);

	if (ipv6_is_local_scope(p->dst.v6) || ipv6_is_link_local(p->src.v6))
		return BPFR_PASS_LINK_LOCAL;

	/* RFC 8200 4.3: hop-by-hop options are for every router on the path. */
	if (ip6->nexthdr == NEXTHDR_HOP) {
		p->deferred = BPFR_PASS_EXT_HDR;
	} else if (ip6->nexthdr == NEXTHDR_ICMP) {
		if (parse_icmp6hdr(c, &type) < 0)
			return BPFR_PASS_MALFORMED;
		if (type >= ND_TYPE_FIRST && type <= ND_TYPE_LAST)
			p->deferred = BPFR_PASS_CONTROL;
	}
	return BPFR_CONTINUE;
}

static __always_inline __u32 classify_ipv4(struct cursor *c, struct packet *p)
{
	struct iphdr *iph;

	if (parse_iphdr(c, &iph) < 0)
		return BPFR_PASS_MALFORMED;
	p->l3 = iph;
	p->family = 4;
	p->ttl = iph->ttl;
	p->l3_len = bpf_ntohs(iph->tot_len);
	p->src.v4 = iph->saddr;
	p->dst.v4 = iph->daddr;

	if (ipv4_is_group(p->dst.v4) || ipv4_is_link_local(p->dst.v4) ||
	    ipv4_is_link_local(p->src.v4))
		return BPFR_PASS_LINK_LOCAL;
	if (iph->ihl > 5)
		p->deferred = BPFR_PASS_IP_OPTIONS;
	return BPFR_CONTINUE;
}

/* Ethernet, at most one VLAN tag, then IPv6 or IPv4. */
static __always_inline __u32 classify_frame(struct cursor *c, struct packet *p)
{
	__u16 proto;

	if (parse_ethhdr(c, &proto) < 0)
		return BPFR_PASS_MALFORMED;
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (parse_vlanhdr(c, &proto, &p->vlan_id) < 0)
			return BPFR_PASS_MALFORMED;
		p->l2_len = ETH_HLEN + VLAN_HLEN;
	} else {
		p->l2_len = ETH_HLEN;
	}

	if (proto == ETH_P_IPV6)
		return classify_ipv6(c, p);
	if (proto == ETH_P_IP)
		return classify_ipv4(c, p);
	return BPFR_PASS_CONTROL;
}

#endif /* BPFR_BPF_CLASSIFY_H */
