#!/usr/bin/env bash
# Captures tests/control/golden/*.wire from a real BIRD 2: golden/bird.conf in namespace
# bpfr-gold-a, with golden/peer.conf in bpfr-gold-b as its BGP neighbour over a veth pair
# (the router's end is called dummy0). Times in the files are those of the capture; the tests
# run with TZ=UTC. Needs root and bird2. Usage: capture-golden.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/golden
out=${BPFR_GOLDEN_OUT:-$golden}  # another directory to compare a capture without replacing
run=$(mktemp -d /tmp/bpfr-gold-XXXXXX)
a=bpfr-gold-a
b=bpfr-gold-b

cleanup() {
	for pid in "$run"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
	ip netns del $a 2>/dev/null || true
	ip netns del $b 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT

ip netns add $a
ip netns add $b
ip -n $a link add dummy0 type veth peer name eth0 netns $b
ip -n $a link set lo up
ip -n $a link set dummy0 up
ip -n $b link set lo up
ip -n $b link set eth0 up
ip -n $a addr add 192.0.2.1/24 dev dummy0
ip -n $a addr add 2001:db8::1/64 dev dummy0 nodad
ip -n $b addr add 192.0.2.20/24 dev eth0
ip -n $b addr add 2001:db8::20/64 dev eth0 nodad

export TZ=UTC
ip netns exec $b bird -c "$golden/peer.conf" -s "$run/peer.ctl" -P "$run/peer.pid"
ip netns exec $a bird -c "$golden/bird.conf" -s "$run/bird.ctl" -P "$run/bird.pid"
for _ in $(seq 30); do
	ip netns exec $a birdc -s "$run/bird.ctl" show protocols upstream1 | grep -q Established && break
	sleep 1
done
sleep 2  # the routes follow the session

ip netns exec $a python3 "$here/capture-golden.py" "$run/bird.ctl" "$out" \
	"show_status=show status" \
	"show_protocols=show protocols" \
	"show_protocols_all=show protocols all" \
	"show_protocols_all_upstream1=show protocols all upstream1" \
	"show_route=show route" \
	"show_route_all=show route all" \
	"show_route_count=show route count" \
	"show_route_for_all=show route for 100.64.1.1 all" \
	"show_route_protocol_static6_count=show route protocol static6 count" \
	"show_route_for_notfound=show route for 10.99.0.1" \
	"show_interfaces=show interfaces" \
	"show_interfaces_summary=show interfaces summary" \
	"disable=disable static6" \
	"disable_again=disable static6" \
	"enable=enable static6" \
	"restart=restart static4" \
	"reload_in=reload in static4" \
	"configure_check=configure check"
echo "captured into $out; update tests/control/lab.cpp with the new times, timers and addresses"
