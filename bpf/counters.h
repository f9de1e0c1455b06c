/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-CPU counters. Every packet is counted under exactly one reason, under its
 * route's slot when a route matched, and on its arrival device.
 */
#ifndef BPFR_BPF_COUNTERS_H
#define BPFR_BPF_COUNTERS_H

#include "common.h"
#include "router_maps.h"

static __always_inline void counter_add(void *map, __u32 key, __u32 bytes)
{
	struct bpfr_counter *c = bpf_map_lookup_elem(map, &key);

	if (!c)
		return;
	c->packets++;
	c->bytes += bytes;
}

static __always_inline void count_reason(__u32 reason, __u32 bytes)
{
	counter_add(&reason_stats, reason, bytes);
}

static __always_inline void count_list_entry(__u32 id, __u32 bytes)
{
	counter_add(&list_stats, id, bytes);
}

static __always_inline struct bpfr_iface_counters *iface_counters(__u32 row)
{
	return bpf_map_lookup_elem(&iface_stats, &row);
}

static __always_inline void count_rx(__u32 row, __u32 bytes)
{
	struct bpfr_iface_counters *ic = iface_counters(row);

	if (!ic)
		return;
	ic->rx_packets++;
	ic->rx_bytes += bytes;
}

/* Transmit side of the device with this ifindex, if it is one of ours. */
static __always_inline void count_tx(__u32 ifindex, __u32 bytes)
{
	struct bpfr_iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	struct bpfr_iface_counters *ic;

	if (!ifc)
		return;
	ic = iface_counters(ifc->index);
	if (!ic)
		return;
	ic->tx_packets++;
	ic->tx_bytes += bytes;
}

/* The outcome: reason, route slot, and pass or drop on the arrival device. */
static __always_inline void count_outcome(__u32 row, __u32 reason, __u32 slot,
					  __u32 bytes)
{
	struct bpfr_iface_counters *ic;

	count_reason(reason, bytes);
	if (slot != BPFR_NO_SLOT)
		counter_add(&route_stats, slot, bytes);
	if (reason_is_forward(reason))
		return;
	ic = iface_counters(row);
	if (!ic)
		return;
	if (reason_is_drop(reason))
		ic->drop_packets++;
	else
		ic->pass_packets++;
}

#endif /* BPFR_BPF_COUNTERS_H */
