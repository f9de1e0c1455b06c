/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Map layouts shared by the BPF programs (bpf/) and the daemon (userspace/).
 *
 * Every structure has explicit padding, and its byte order is stated. The C++ side checks the
 * sizes with static_assert instead of keeping a copy. A pinned map whose value layout changes
 * gets a new _vN suffix in its name, so a restarted daemon never reads an old layout.
 */
#ifndef BPFROUTER_MAPS_H
#define BPFROUTER_MAPS_H

#ifdef __bpf__
/* vmlinux.h provides the __uN types on the BPF side. */
#else
#include <linux/types.h>
#endif

#define BPFR_MAX_ROUTES_V4 (2u << 20)   /* 2,097,152: a full table with room to grow */
#define BPFR_MAX_ROUTES_V6 (512u << 10) /* 524,288 */
#define BPFR_MAX_NEXTHOPS (1u << 16)
#define BPFR_MAX_SLOTS (1u << 18) /* prefixes with their own counters */
#define BPFR_MAX_IFACES 1024
#define BPFR_MAX_FILTER_ENTRIES 65536

/* Slot 0 is shared by every route without a slot of its own (see docs/stats.md). */
#define BPFR_SLOT_AGGREGATE 0u

/* Next hop 0 is never valid, so a zeroed route value is never forwarded. */
#define BPFR_NEXTHOP_NONE 0u

/* What a route does with a packet (route_value.action). */
enum bpfr_route_action {
	BPFR_ROUTE_FORWARD = 0,     /* to nexthops[route_value.nexthop] */
	BPFR_ROUTE_LOCAL = 1,       /* a local address: deliver to the kernel */
	BPFR_ROUTE_BLACKHOLE = 2,   /* drop silently, counted */
	BPFR_ROUTE_UNREACHABLE = 3, /* to the kernel, which answers with ICMP unreachable */
	BPFR_ROUTE_PROHIBIT = 4,    /* to the kernel, which answers with ICMP prohibited */
	BPFR_ROUTE_KERNEL = 5,      /* known route the fast path must not take (firewall, ...) */
};

/*
 * routes_v4: LPM trie, struct bpfr_route_key_v4 -> struct bpfr_route_value
 * routes_v6: LPM trie, struct bpfr_route_key_v6 -> struct bpfr_route_value
 * Keys are in network byte order, as the LPM trie requires.
 */
struct bpfr_route_key_v4 {
	__u32 prefixlen; /* host order, 0..32 */
	__u8 addr[4];    /* network order */
};

struct bpfr_route_key_v6 {
	__u32 prefixlen; /* host order, 0..128 */
	__u8 addr[16];   /* network order */
};

struct bpfr_route_value {
	__u32 nexthop; /* index into nexthops, or BPFR_NEXTHOP_NONE */
	__u32 slot;    /* index into route_stats and slot_prefixes */
	__u8 action;   /* enum bpfr_route_action */
	__u8 flags;    /* BPFR_ROUTE_F_* */
	__u16 pad;
};

#define BPFR_ROUTE_F_LEARNED 0x01 /* from a dynamic protocol: distrusted when the daemon is gone */
#define BPFR_ROUTE_F_OWN 0x02     /* a prefix we originate: sources inside it are spoofed on upstreams */

/* What kind of device a next hop leaves through (bpfr_nexthop.kind). */
enum bpfr_nexthop_kind {
	BPFR_NH_ETHERNET = 0, /* XDP redirect through tx_ports, MACs rewritten */
	BPFR_NH_L3 = 1,       /* no XDP transmit (WireGuard, TUN): tc redirects it */
	BPFR_NH_DUMMY = 2,    /* a dummy device: nothing owns the address, drop as blackhole */
};

/*
 * nexthops: array, next-hop id -> struct bpfr_nexthop. The daemon fills an entry only once
 * the gateway is resolved to a connected neighbour; until the MAC is known the entry carries
 * BPFR_NH_F_VALID without BPFR_NH_F_MAC and packets go to the kernel, which resolves it.
 */
struct bpfr_nexthop {
	__u32 ifindex;  /* egress device */
	__u16 mtu;      /* egress L3 MTU */
	__u8 kind;      /* enum bpfr_nexthop_kind */
	__u8 flags;     /* BPFR_NH_F_* */
	__u8 dmac[6];   /* gateway's MAC */
	__u8 smac[6];   /* egress device's MAC */
	__u16 vlan_id;  /* host order; 0: untagged */
	__u16 pad;
};

#define BPFR_NH_F_VALID 0x01
#define BPFR_NH_F_MAC 0x02 /* dmac is known */

/* route_stats: per-CPU array, slot -> struct bpfr_counter. */
struct bpfr_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * slot_prefixes: array, slot -> struct bpfr_slot_prefix. Written only by the daemon and
 * pinned, so `bpfrouter stats` can name a slot's prefix while the daemon is down.
 */
struct bpfr_slot_prefix {
	__u8 family;    /* 0: free, 4 or 6 */
	__u8 prefixlen;
	__u8 state;     /* BPFR_SLOT_* */
	__u8 pad;
	__u32 generation; /* bumped each time the slot is given to another prefix */
	__u8 addr[16];  /* network order; IPv4 in the first 4 bytes */
	__u64 since_ns; /* CLOCK_REALTIME when the slot got this prefix, or was withdrawn */
};

#define BPFR_SLOT_FREE 0
#define BPFR_SLOT_LIVE 1
#define BPFR_SLOT_WITHDRAWN 2 /* counters still readable until the slot is reused */

/*
 * Why the fast path did what it did with a packet. reason_stats: per-CPU array,
 * enum bpfr_reason -> struct bpfr_counter. Every drop and every hand-off to the kernel is
 * counted under exactly one reason. Names for these live in userspace/dataplane/reasons.cpp.
 */
enum bpfr_reason {
	BPFR_FORWARD_XDP = 0,         /* redirected by XDP */
	BPFR_FORWARD_TC = 1,          /* handed to tc for an L3 device */

	BPFR_PASS_LOCAL = 2,          /* destination is a local address */
	BPFR_PASS_TTL = 3,            /* hop limit or TTL <= 1: the kernel sends Time Exceeded */
	BPFR_PASS_MTU = 4,            /* larger than the egress MTU: Packet Too Big / Frag Needed */
	BPFR_PASS_NO_NEIGH = 5,       /* next-hop MAC not known yet: the kernel resolves it */
	BPFR_PASS_LINK_LOCAL = 6,     /* link-local or multicast destination or source */
	BPFR_PASS_CONTROL = 7,        /* ARP, ND and other non-IP frames */
	BPFR_PASS_EXT_HDR = 8,        /* IPv6 hop-by-hop options */
	BPFR_PASS_NO_ROUTE = 9,       /* no route and the no-route action is pass */
	BPFR_PASS_MALFORMED = 10,     /* truncated or bad headers: the kernel drops and counts */
	BPFR_PASS_UNREACHABLE = 11,   /* unreachable or prohibit route: the kernel answers */
	BPFR_PASS_KERNEL_ROUTE = 12,  /* route kept on the kernel path (firewall, config) */
	BPFR_PASS_STALE = 13,         /* learned route while the daemon is gone too long */
	BPFR_PASS_NO_TX = 14,         /* egress device cannot take the frame (not in tx_ports) */
	BPFR_PASS_IP_OPTIONS = 15,    /* IPv4 header with options */

	BPFR_DROP_BLACKHOLE = 16,     /* blackhole route */
	BPFR_DROP_NO_ROUTE = 17,      /* no route and the no-route action is drop */
	BPFR_DROP_BOGON_SRC = 18,     /* source can never be valid */
	BPFR_DROP_SPOOFED = 19,       /* source inside our own prefixes, arriving on an upstream */
	BPFR_DROP_URPF = 20,          /* reverse-path check failed */
	BPFR_DROP_SRC_LIST = 21,      /* operator's source drop list */
	BPFR_DROP_DST_LIST = 22,      /* operator's destination drop list */
	BPFR_DROP_DUMMY = 23,         /* inside a dummy prefix that no address owns */
	BPFR_DROP_BOGON_DST = 24,     /* destination in an enabled bogon list */

	BPFR_PASS_DISABLED = 25,      /* settings.enabled is 0: everything to the kernel */
	BPFR_PASS_NO_IFACE = 26,      /* arrival device has no entry in ifaces */
	BPFR_PASS_FIREWALL = 27,      /* a host firewall rule concerns it (kpath_*, iface flags) */

	BPFR_REASON_MAX = 32,
};

/* iface_stats: per-CPU array, bpfr_iface index -> struct bpfr_iface_counters. */
struct bpfr_iface_counters {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets; /* handed to the device (devmap egress or tc redirect) */
	__u64 tx_bytes;
	__u64 pass_packets; /* handed to the kernel */
	__u64 drop_packets;
};

/*
 * ifaces: hash, ifindex -> struct bpfr_iface. Which role and settings an attached device has;
 * index is its row in iface_stats.
 */
struct bpfr_iface {
	__u32 index;   /* row in iface_stats */
	__u8 role;     /* enum bpfr_iface_role */
	__u8 urpf;     /* enum bpfr_urpf_mode */
	__u8 flags;    /* BPFR_IFACE_F_* */
	__u8 bogon_src; /* BPFR_BOGON_* categories dropped as sources here */
};

enum bpfr_iface_role {
	BPFR_ROLE_INTERNAL = 0, /* downstream, LAN, tunnels */
	BPFR_ROLE_UPSTREAM = 1, /* transit and peers: source filtering applies */
};

enum bpfr_urpf_mode {
	BPFR_URPF_OFF = 0,
	BPFR_URPF_LOOSE = 1,  /* any route to the source */
	BPFR_URPF_STRICT = 2, /* the route to the source leaves through the arrival device */
};

#define BPFR_IFACE_F_BOGON_SRC 0x01 /* drop never-valid sources */
#define BPFR_IFACE_F_SPOOF_OWN 0x02 /* drop sources inside our own prefixes */
#define BPFR_IFACE_F_KERNEL_IN 0x04  /* arrivals here go to the kernel: a firewall rule names it */
#define BPFR_IFACE_F_KERNEL_OUT 0x08 /* forwarding out of it goes to the kernel, likewise */

/*
 * Bogon categories: bits of bogons_v4/bogons_v6 entries, of bpfr_iface.bogon_src and of
 * bpfr_settings.bogon_dst. Sources that can never be valid (unspecified, loopback, multicast,
 * IPv4-mapped, 0/8, 240/4) need no list: BPFR_IFACE_F_BOGON_SRC drops them by rule.
 */
#define BPFR_BOGON_DOC 0x01         /* documentation: 192.0.2/24, 2001:db8::/32, ... */
#define BPFR_BOGON_PRIVATE 0x02     /* RFC 1918, 100.64/10, ULA fc00::/7 */
#define BPFR_BOGON_RESERVED 0x04    /* special-purpose registries: 198.18/15, 100::/64, ... */
#define BPFR_BOGON_UNALLOCATED 0x08 /* not allocated by the RIRs (an operator's feed) */
#define BPFR_BOGON_OPERATOR 0x80    /* the operator's own additions */

/*
 * bogons_v4: LPM trie, struct bpfr_route_key_v4 -> struct bpfr_bogon
 * bogons_v6: LPM trie, struct bpfr_route_key_v6 -> struct bpfr_bogon
 * The longest match alone is read, so an entry carries the categories of every entry that
 * encloses it too.
 */
struct bpfr_bogon {
	__u32 categories; /* BPFR_BOGON_* */
};

/*
 * own_v4: LPM trie, struct bpfr_route_key_v4 -> __u32 (0, reserved)
 * own_v6: LPM trie, struct bpfr_route_key_v6 -> __u32 (0, reserved)
 * The prefixes we originate: sources inside them arriving where BPFR_IFACE_F_SPOOF_OWN is set
 * are spoofed.
 */

/*
 * Operator lists, on every attached device:
 * src_list_v4, dst_list_v4: LPM trie, struct bpfr_route_key_v4 -> struct bpfr_list_entry
 * src_list_v6, dst_list_v6: LPM trie, struct bpfr_route_key_v6 -> struct bpfr_list_entry
 * A drop entry drops (BPFR_DROP_SRC_LIST, BPFR_DROP_DST_LIST); an allow entry exempts the
 * packet from the bogon, spoofing and uRPF checks on that address. Every match is counted in
 * list_stats: per-CPU array, entry id -> struct bpfr_counter.
 */
struct bpfr_list_entry {
	__u32 id;     /* row in list_stats, < BPFR_MAX_FILTER_ENTRIES, unique over the four lists */
	__u8 action;  /* BPFR_LIST_* */
	__u8 pad[3];
};

#define BPFR_LIST_ALLOW 1
#define BPFR_LIST_DROP 2
#define BPFR_LIST_KERNEL 3 /* kpath_* only: hand to the kernel, BPFR_PASS_FIREWALL */

/*
 * The host firewall's rules, as far as they name addresses (userspace/dataplane/firewall.*):
 * kpath_src_v4, kpath_dst_v4: LPM trie, struct bpfr_route_key_v4 -> struct bpfr_list_entry
 * kpath_src_v6, kpath_dst_v6: LPM trie, struct bpfr_route_key_v6 -> struct bpfr_list_entry
 * A packet whose source or destination matches, after the filters, is handed to the kernel
 * (BPFR_PASS_FIREWALL) and counted on the entry in list_stats; ids share the lists' space.
 */

/*
 * settings: array of one, key 0 -> struct bpfr_settings. Run-time switches the daemon may flip
 * without reloading the program.
 */
struct bpfr_settings {
	__u8 no_route_drop; /* 0: hand to the kernel, 1: drop */
	__u8 enabled;       /* 0: pass everything to the kernel (daemon detached) */
	__u8 bogon_dst;     /* BPFR_BOGON_* categories dropped as destinations */
	__u8 kernel_out;    /* 1: some ifaces entry has BPFR_IFACE_F_KERNEL_OUT */
	__u32 stale_after_s; /* learned routes distrusted this long after the heartbeat; 0: never */
	__u64 heartbeat_ns;  /* bpf_ktime_get_coarse_ns() domain: CLOCK_MONOTONIC */
};

/* XDP metadata that hands the lookup result to the tc program (BPFR_NH_L3 next hops). */
struct bpfr_xdp_meta {
	__u32 magic; /* BPFR_META_MAGIC */
	__u32 nexthop;
	__u32 slot;
	__u32 pad;
};

#define BPFR_META_MAGIC 0x62706672u /* "bpfr" */

#endif /* BPFROUTER_MAPS_H */
