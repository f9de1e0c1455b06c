/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Constants and the parsed form of a packet, shared by every router header. */
#ifndef BPFR_BPF_COMMON_H
#define BPFR_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpfrouter/maps.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define VLAN_HLEN 4
#define VLAN_VID_MASK 0x0fff
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_IPV6 0x86DD

#define IPV6_HLEN 40
#define IPV4_HLEN 20
#define NEXTHDR_HOP 0
#define NEXTHDR_ICMP 58
#define ND_TYPE_FIRST 133 /* router solicitation */
#define ND_TYPE_LAST 137  /* redirect */

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

/* Largest TCP header: bounds a GSO segment's headers in the MTU check. */
#define TCP_MAX_HLEN 60

/* Not a reason: the packet goes on to the next step. */
#define BPFR_CONTINUE BPFR_REASON_MAX

/* route_stats row for packets that matched no route. */
#define BPFR_NO_SLOT 0xffffffffu

union bpfr_addr {
	__u8 v6[16];
	__be32 v4;
};

/* What the decision needs from a packet, whichever hook parsed it. */
struct packet {
	void *l3;      /* IP header inside the packet */
	__u32 ifindex; /* arrival device */
	__u32 bytes;   /* frame length, for the byte counters */
	__u16 l2_len;  /* bytes before the IP header */
	__u16 l3_len;  /* IP total length, or a GSO segment's */
	__u16 vlan_id; /* 0: untagged */
	__u8 family;   /* 4 or 6 */
	__u8 ttl;      /* TTL or hop limit */
	__u8 deferred; /* hand-off decided by a header, taken after filters */
	__u8 pad[3];
	union bpfr_addr src;
	union bpfr_addr dst;
};

static __always_inline int reason_is_drop(__u32 reason)
{
	return reason >= BPFR_DROP_BLACKHOLE && reason <= BPFR_DROP_BOGON_DST;
}

static __always_inline int reason_is_forward(__u32 reason)
{
	return reason == BPFR_FORWARD_XDP || reason == BPFR_FORWARD_TC;
}

#endif /* BPFR_BPF_COMMON_H */
