// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traffic generator, run with BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES
 * on a device: each run writes a whole Ethernet/IP/UDP frame with a fresh
 * random destination and the next sequence number, then sends it out of that
 * device with XDP_TX. Pages are recycled between runs and a receiver may have
 * written into them, so nothing of the last frame is trusted.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpfrouter/probe.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP_ 17
#define TTL 64
#define IPV4_FRAME_MIN 60 /* 64 on the wire with the FCS */
#define FRAME_MAX 1514

/* Tunables, set before load. */
const volatile __u8 src_mac[6] = {};
const volatile __u8 dst_mac[6] = {};
const volatile __u32 src_v4 = 0;     /* network order */
const volatile __u32 src_v6[4] = {}; /* network order */
const volatile __u32 stream = 1;
const volatile __u32 num_destinations = 1;
const volatile __u16 frame_len_v4 = IPV4_FRAME_MIN;
const volatile __u16 frame_len_v6 = 78;

/* The next sequence number; the first is set before load. */
__u64 next_seq = 0;

/* tg_destinations: array, index -> struct bpfr_tg_dest (resized to the list
 * before load) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfr_tg_dest);
} tg_destinations SEC(".maps");

struct udp_probe {
	struct udphdr udp;
	struct bpfr_probe probe;
};

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline void write_eth(struct ethhdr *eth, __u16 proto)
{
	for (int i = 0; i < 6; i++) {
		eth->h_dest[i] = dst_mac[i];
		eth->h_source[i] = src_mac[i];
	}
	eth->h_proto = bpf_htons(proto);
}

static __always_inline void write_udp_probe(struct udp_probe *u)
{
	u->udp.source = bpf_htons(BPFR_PROBE_UDP_SPORT);
	u->udp.dest = bpf_htons(BPFR_PROBE_UDP_DPORT);
	u->udp.len = bpf_htons(sizeof(*u));
	u->udp.check = 0;
	u->probe.magic = bpf_htonl(BPFR_PROBE_MAGIC);
	u->probe.stream = bpf_htonl(stream);
	u->probe.seq = bpf_cpu_to_be64(__sync_fetch_and_add(&next_seq, 1));
}

/* UDP checksum over the pseudo header sum, the header and the probe (RFC 768,
 * RFC 8200 8.1). */
static __always_inline void finish_udp_csum(struct udp_probe *u, __u64 pseudo)
{
	__u64 sum = pseudo + bpf_htons(IPPROTO_UDP_) + u->udp.len;
	__u16 *w = (__u16 *)u;

	for (int i = 0; i < (int)(sizeof(*u) / 2); i++)
		sum += w[i];
	u->udp.check = csum_fold(sum) ?: 0xffff;
}

static __always_inline __u32 host_bits(const struct bpfr_tg_dest *d, int word)
{
	return (d->addr[word] & d->mask[word]) |
	       (bpf_get_prandom_u32() & ~d->mask[word]);
}

static __always_inline int write_v4(void *data, void *data_end,
				    const struct bpfr_tg_dest *d)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udp_probe *u = (void *)(ip + 1);
	__u16 *w = (__u16 *)ip;
	__u64 sum = 0;

	if ((void *)(u + 1) > data_end)
		return XDP_ABORTED;
	write_eth(eth, ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*u));
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = TTL;
	ip->protocol = IPPROTO_UDP_;
	ip->check = 0;
	ip->saddr = src_v4;
	ip->daddr = host_bits(d, 0);
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	ip->check = csum_fold(sum);

	write_udp_probe(u);
	finish_udp_csum(u, (__u64)(ip->saddr & 0xffff) + (ip->saddr >> 16) +
			       (ip->daddr & 0xffff) + (ip->daddr >> 16));
	return XDP_TX;
}

static __always_inline int write_v6(void *data, void *data_end,
				    const struct bpfr_tg_dest *d)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct udp_probe *u = (void *)(ip6 + 1);
	__u64 pseudo = 0;

	if ((void *)(u + 1) > data_end)
		return XDP_ABORTED;
	write_eth(eth, ETH_P_IPV6);
	*(__u32 *)ip6 =
	    bpf_htonl(6u << 28); /* version, no traffic class, no flow label */
	ip6->payload_len = bpf_htons(sizeof(*u));
	ip6->nexthdr = IPPROTO_UDP_;
	ip6->hop_limit = TTL;
	for (int i = 0; i < 4; i++) {
		__u32 dst = host_bits(d, i);

		ip6->saddr.in6_u.u6_addr32[i] = src_v6[i];
		ip6->daddr.in6_u.u6_addr32[i] = dst;
		pseudo += (src_v6[i] & 0xffff) + (src_v6[i] >> 16) +
			  (dst & 0xffff) + (dst >> 16);
	}

	write_udp_probe(u);
	finish_udp_csum(u, pseudo);
	return XDP_TX;
}

/* Shrinks the frame from its size in data_in to the length for this family. */
static __always_inline int set_frame_len(struct xdp_md *ctx, __u16 want)
{
	int have = ctx->data_end - ctx->data;

	if (have == want)
		return 0;
	return bpf_xdp_adjust_tail(ctx, (int)want - have);
}

SEC("xdp")
int xdp_trafficgen(struct xdp_md *ctx)
{
	__u32 index = bpf_get_prandom_u32() % num_destinations;
	struct bpfr_tg_dest *d = bpf_map_lookup_elem(&tg_destinations, &index);

	void *data, *data_end;

	if (!d)
		return XDP_ABORTED;
	if (set_frame_len(ctx, d->family == 4 ? frame_len_v4 : frame_len_v6))
		return XDP_ABORTED;

	/*
	 * Verifier: hide ctx from the compiler here, or it reuses
	 * &ctx->data_end from the resize, and the verifier refuses a load
	 * through a moved ctx pointer.
	 */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (d->family == 4)
		return write_v4(data, data_end, d);
	return write_v6(data, data_end, d);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
