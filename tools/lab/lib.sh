# Names and addresses of the lab, shared by up.sh and down.sh. Sourced, not run.
#
#   internet ── transit (BIRD 2, AS 64515) ── router (bpfrouterd, AS 65535) ── client
#   hosts in        announces the fed table     the guide's bird.conf           wireguard-go,
#   real prefixes   over multihop 2 + MD5       + wg0 (wireguard-go)            the guide's
#                                                                               client config
#
# The guide's addresses are kept where they are documentation addresses (2001:DB8:1234::/48,
# AS 65535, AS 64515, port 7777); the provider's and the VPS's public addresses become
# private ones. The client reaches the router's WireGuard port over a link of its own (its
# home connection), carrying WireGuard over IPv4, so its IPv6 default route can point into the
# tunnel as AllowedIPs = ::/0 asks.

LAB=${LAB:-bpfrlab}
LAB_STATE=${LAB_STATE:-/run/bpfrouter-lab/$LAB}

NS_INTERNET=$LAB-internet
NS_TRANSIT=$LAB-transit
NS_ROUTER=$LAB-router
NS_CLIENT=$LAB-client

# internet <-> transit
INTERNET_IF=eth0
INTERNET_V4=10.255.1.1
INTERNET_V6=fd00:255:1::1
TRANSIT_INTERNET_IF=inet0
TRANSIT_INTERNET_V4=10.255.1.2
TRANSIT_INTERNET_V6=fd00:255:1::2

# transit <-> router: the router's upstream, "yourVMsIPv6AddressHere" in the guide
TRANSIT_CUSTOMER_IF=cust0
TRANSIT_CUSTOMER_V4=10.255.2.1
TRANSIT_CUSTOMER_V6=fd00:255:2::1
ROUTER_UPSTREAM_IF=eth0
ROUTER_V4=10.255.2.2
ROUTER_V6=fd00:255:2::2

# The transit's BGP speaker, one hop behind its customer link (2001:19f0:ffff::1 in the guide)
TRANSIT_BGP_V4=10.64.51.1
TRANSIT_BGP_V6=fd00:64:515::1

ROUTER_AS=65535
TRANSIT_AS=64515
ROUTER_PREFIX=2001:db8:1234::/48
ROUTER_DUMMY_IF=dummy0 # a veth standing in for the guide's dummy0 (no dummy driver here)

# router <-> client: the client's own connection, carrying WireGuard
ROUTER_ACCESS_IF=eth1
ROUTER_ACCESS_V4=10.255.3.1
CLIENT_IF=eth0
CLIENT_V4=10.255.3.2

# WireGuard (the guide's wg0.conf and client config). Two wireguard-go on one machine need
# different interface names: their control sockets share /var/run/wireguard.
WG_ROUTER_IF=${WG_ROUTER_IF:-wg0}
WG_CLIENT_IF=${WG_CLIENT_IF:-wgc0}
WG_PORT=7777
WG_ROUTER_ADDR=2001:db8:1234:a::/64
WG_CLIENT_ADDR=2001:db8:1234:a:1::/64
WG_CLIENT_ALLOWED=2001:db8:1234:a:1::/80
CLIENT_V6=2001:db8:1234:a:1::

say() { printf 'lab: %s\n' "$*"; }
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
