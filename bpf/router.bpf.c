// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Placeholder: the fast path is written by the data-plane work. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
