/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test traffic shared by the traffic generator (bpf/trafficgen.bpf.c, tools/trafficgen/) and the
 * receiving sink (bpf/sink.bpf.c, tests/lab/): every generated frame is Ethernet, IPv4 or IPv6,
 * UDP, then a struct bpfr_probe, so the receiver can find lost, duplicated and reordered frames.
 */
#ifndef BPFROUTER_PROBE_H
#define BPFROUTER_PROBE_H

#ifdef __bpf__
/* vmlinux.h provides the __uN types on the BPF side. */
#else
#include <linux/types.h>
#endif

#define BPFR_PROBE_MAGIC 0x62707231u /* "bpr1", network order on the wire */
#define BPFR_PROBE_UDP_SPORT 40000
#define BPFR_PROBE_UDP_DPORT 40001

/* UDP payload of a generated frame. All fields in network byte order. */
struct bpfr_probe {
	__u32 magic;  /* BPFR_PROBE_MAGIC */
	__u32 stream; /* which generator run sent it */
	__u64 seq;    /* 0, 1, 2, ... per stream */
};

/*
 * sink_stats: array of one, key 0 -> struct bpfr_sink_stats, updated atomically from every CPU.
 * Lost frames are not counted here: the receiver knows how many it got (unique), the reader
 * knows how many were sent.
 */
struct bpfr_sink_stats {
	__u64 packets;    /* every frame seen */
	__u64 bytes;
	__u64 probes;     /* frames carrying a struct bpfr_probe of the watched stream */
	__u64 duplicates; /* a probe whose seq was already seen */
	__u64 reordered;  /* a probe with a seq lower than the highest seen before it */
	__u64 too_old;    /* a probe older than the duplicate window: not checked */
	__u64 highest_seq_plus1; /* 0: no probe yet */
	__u64 other_streams;     /* probes of another stream */
};

/*
 * tg_destinations: array, index -> struct bpfr_tg_dest. The generator draws one entry per frame
 * and fills the host bits with random ones: dst = (addr & mask) | (random & ~mask).
 */
struct bpfr_tg_dest {
	__u8 family; /* 4 or 6 */
	__u8 pad[3];
	__u32 addr[4]; /* network order; IPv4 in addr[0] */
	__u32 mask[4]; /* network order */
};

#define BPFR_TG_MAX_DESTINATIONS (1u << 21) /* a full table of both families */

/* The sink remembers this many recent sequence numbers to tell duplicates from late frames. */
#define BPFR_SINK_SEQ_WINDOW (1u << 20)

#endif /* BPFROUTER_PROBE_H */
