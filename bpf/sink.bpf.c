// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Receiving end of lab traffic: counts every frame, and for frames carrying a
 * struct bpfr_probe checks their sequence numbers (duplicates, reordering).
 * Attached to the far veth of a lab link it also gives that veth an XDP
 * program, which a veth needs before it accepts redirected frames.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bpfrouter/probe.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP_ 17
#define CAS_MAX_TRIES 8

/* Tunables, set before load. */
const volatile __u8 drop_frames = 0;   /* 0: XDP_PASS, 1: XDP_DROP */
const volatile __u32 watch_stream = 0; /* 0: any stream */
/* xdp_redirect_bare: where every frame goes */
const volatile __u32 redirect_ifindex = 0;

/* sink_stats: array of one, 0 -> struct bpfr_sink_stats */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfr_sink_stats);
} sink_stats SEC(".maps");

/* seen_seqs: array, seq % BPFR_SINK_SEQ_WINDOW -> seq + 1 of the last probe in
 * that slot */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFR_SINK_SEQ_WINDOW);
	__type(key, __u32);
	__type(value, __u64);
} seen_seqs SEC(".maps");

static __always_inline int verdict(void)
{
	return drop_frames ? XDP_DROP : XDP_PASS;
}

/* Returns the UDP payload offset of a probe frame, or -1. */
static __always_inline int parse_udp_offset(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	int off = sizeof(*eth);

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip4 = data + off;

		if ((void *)(ip4 + 1) > data_end ||
		    ip4->protocol != IPPROTO_UDP_)
			return -1;
		off += ip4->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end ||
		    ip6->nexthdr != IPPROTO_UDP_)
			return -1;
		off += sizeof(*ip6);
	} else {
		return -1;
	}
	return off + sizeof(struct udphdr);
}

/* Raises highest_seq_plus1 to at least val; returns its value before. */
static __always_inline __u64 raise_highest(struct bpfr_sink_stats *s, __u64 val)
{
	__u64 old = s->highest_seq_plus1;

	for (int i = 0; i < CAS_MAX_TRIES && old < val; i++) {
		__u64 seen = __sync_val_compare_and_swap(&s->highest_seq_plus1,
							 old, val);

		if (seen == old)
			break;
		old = seen;
	}
	return old;
}

static __always_inline void check_probe(struct bpfr_sink_stats *s,
					struct bpfr_probe *p)
{
	__u64 seq = bpf_be64_to_cpu(p->seq);
	__u32 slot = seq % BPFR_SINK_SEQ_WINDOW;
	__u64 highest, *seen;

	if (watch_stream && bpf_ntohl(p->stream) != watch_stream) {
		__sync_fetch_and_add(&s->other_streams, 1);
		return;
	}
	__sync_fetch_and_add(&s->probes, 1);

	highest = raise_highest(s, seq + 1);
	if (seq + BPFR_SINK_SEQ_WINDOW < highest) {
		__sync_fetch_and_add(&s->too_old, 1);
		return;
	}
	seen = bpf_map_lookup_elem(&seen_seqs, &slot);
	if (!seen)
		return;
	if (__sync_lock_test_and_set(seen, seq + 1) == seq + 1)
		__sync_fetch_and_add(&s->duplicates, 1);
	else if (seq + 1 < highest)
		__sync_fetch_and_add(&s->reordered, 1);
}

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpfr_probe *probe;
	struct bpfr_sink_stats *s;
	__u32 key = 0;
	int off;

	s = bpf_map_lookup_elem(&sink_stats, &key);
	if (!s)
		return verdict();
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, data_end - data);

	off = parse_udp_offset(data, data_end);
	/* Verifier: the offset must be bounded before it moves the packet
	 * pointer. */
	if (off < 0 || off > 128)
		return verdict();
	probe = data + off;
	if ((void *)(probe + 1) > data_end ||
	    probe->magic != bpf_htonl(BPFR_PROBE_MAGIC))
		return verdict();
	check_probe(s, probe);
	return verdict();
}

/*
 * The ceiling of a forwarding benchmark: every frame straight out of another
 * device, no parsing, no lookup, no counting.
 */
SEC("xdp")
int xdp_redirect_bare(struct xdp_md *ctx)
{
	return bpf_redirect(redirect_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
