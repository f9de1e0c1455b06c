/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One parse_<header>() per header. Each checks its own bounds against the end
 * of the packet and moves the cursor past the header; a negative return means
 * truncated or malformed.
 */
#ifndef BPFR_BPF_PARSE_H
#define BPFR_BPF_PARSE_H

#include "common.h"

/* Verify IPv4 header checksums (RFC 1812 5.2.2); set before load. */
const volatile __u8 check_ipv4_csum = 1;

struct cursor {
	void *pos;
	void *end;
};

static __always_inline int parse_ethhdr(struct cursor *c, __u16 *proto)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return -1;
	*proto = bpf_ntohs(eth->h_proto);
	c->pos = eth + 1;
	return 0;
}

/* One 802.1Q or 802.1ad tag; *proto becomes the encapsulated type. */
static __always_inline int parse_vlanhdr(struct cursor *c, __u16 *proto,
					 __u16 *vlan_id)
{
	struct vlan_hdr *vh = c->pos;

	if ((void *)(vh + 1) > c->end)
		return -1;
	*vlan_id = bpf_ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
	*proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
	c->pos = vh + 1;
	return 0;
}

/* Version 6, and the payload the header announces is present. */
static __always_inline int parse_ipv6hdr(struct cursor *c, struct ipv6hdr **out)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	if (ip6->version != 6)
		return -1;
	if ((void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len) > c->end)
		return -1;
	*out = ip6;
	c->pos = ip6 + 1;
	return 0;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Checksum of an option-less header: folds to 0 when it is right. */
static __always_inline __u16 ipv4_hdr_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < IPV4_HLEN / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/*
 * Version 4, a header length of at least 20 bytes and inside the packet, a
 * total length that covers the header and is present, and with no options a
 * valid checksum.
 */
static __always_inline int parse_iphdr(struct cursor *c, struct iphdr **out)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hlen = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hlen || c->pos + tot_len > c->end)
		return -1;
	if (check_ipv4_csum && hlen == IPV4_HLEN && ipv4_hdr_csum(iph) != 0)
		return -1;
	*out = iph;
	c->pos = (void *)iph + hlen;
	return 0;
}

/* Only the type is read: enough to tell neighbour discovery apart. */
static __always_inline int parse_icmp6hdr(struct cursor *c, __u8 *type)
{
	struct icmp6hdr *icmp6 = c->pos;

	if ((void *)(icmp6 + 1) > c->end)
		return -1;
	*type = icmp6->icmp6_type;
	c->pos = icmp6 + 1;
	return 0;
}

#endif /* BPFR_BPF_PARSE_H */
