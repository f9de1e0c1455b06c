// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test and benchmark harness for the fast lookup tables, run with BPF_PROG_TEST_RUN: the
 * packet holds up to BPFR_PROBE_MAX addresses of one family, and each is overwritten in place
 * with its table entry, so one run checks a batch.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fastfib.h"

#define BPFR_PROBE_MAX 64

/* A probe slot (struct fib_probe): the address going in, the table entry coming out. */
struct fib_probe {
	__u8 addr[16];
	__u64 entry;
};

static __always_inline int probe_batch(struct xdp_md *ctx, int family)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int i;

	for (i = 0; i < BPFR_PROBE_MAX; i++) {
		struct fib_probe *p = data + i * sizeof(*p);

		if ((void *)(p + 1) > end)
			break;
		if (family == 4)
			p->entry = fastfib_lookup_v4(bpf_ntohl(*(__u32 *)p->addr));
		else
			p->entry = fastfib_lookup_v6(p->addr);
	}
	return XDP_PASS;
}

SEC("xdp")
int fastfib_probe_v4(struct xdp_md *ctx)
{
	return probe_batch(ctx, 4);
}

SEC("xdp")
int fastfib_probe_v6(struct xdp_md *ctx)
{
	return probe_batch(ctx, 6);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
