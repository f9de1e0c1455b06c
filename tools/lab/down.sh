#!/usr/bin/env bash
# Tears down what tools/lab/up.sh built (same LAB): stops the lab's BIRDs and wireguard-go by
# their pid files, and the bpfrouterd that up.sh --daemon started with its pinned objects;
# deletes the namespaces and the state directory. Safe to run twice; leaves alone anything it
# did not start, including a bpfrouterd the caller runs in the router.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# stop NAME PIDFILE: TERM, then KILL after 5 s, only if the pid still runs the expected program.
stop() {
	local name=$1 pidfile=$2 pid i
	[ -s "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if ! grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null; then
		return 0
	fi
	say "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

if [ -d "$LAB_STATE" ]; then
	stop bird "$LAB_STATE/router.pid"
	stop bpfrouterd "$LAB_STATE/router.pid"
	stop bird "$LAB_STATE/transit.pid"
	stop wireguard-go "$LAB_STATE/wg-client.pid"
	stop wireguard-go "$LAB_STATE/wg-router.pid"
fi

for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_TRANSIT" "$NS_INTERNET"; do
	if [ -e "/run/netns/$ns" ]; then
		say "deleting namespace $ns"
		ip netns del "$ns"
	fi
done

for dev in "$WG_ROUTER_IF" "$WG_CLIENT_IF"; do
	sock=/var/run/wireguard/$dev.sock
	if [ -S "$sock" ] && ! ss -xl | grep -q "$sock"; then
		rm -f "$sock"
	fi
done

# Pinned links keep programs attached and pinned maps outlive the daemon: remove them.
if [ -s "$LAB_STATE/pin-root" ]; then
	pin_root=$(cat "$LAB_STATE/pin-root")
	if [[ $pin_root == /sys/fs/bpf/* ]] && [ -d "$pin_root" ]; then
		say "removing pinned objects $pin_root"
		rm -rf "$pin_root"
	fi
fi

if [ -d "$LAB_STATE" ]; then
	say "removing $LAB_STATE"
	rm -rf "$LAB_STATE"
fi
say "down"
