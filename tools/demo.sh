#!/usr/bin/env bash
# The guide's network on one machine with bpfrouterd as the router: a BGP session to a transit
# announcing a slice of a real Internet table, the routes in the XDP fast path, a WireGuard
# client reaching Internet hosts from its own address in the /48, and per-prefix statistics.
#
# Usage: tools/demo.sh [--routes N | --full] [--keep] [--keep-going] [--no-install] [--no-build]
#                      [--build DIR]
#   --routes N     announce N prefixes of each family (default 20000)
#   --full         the whole lab table (497,320 IPv4 and 160,147 IPv6 prefixes)
#   --keep         leave the lab up at the end and print how to look around
#   --keep-going   after a failed step, go on with the next (the summary lists the failures)
#   --no-install   skip tools/install-deps.sh
#   --no-build     use bpfrouterd and bpfrouter already built in the build directory
#   --build DIR    build directory (default build/)
# Environment: LAB (namespace prefix, default bpfrdemo). Needs root.
# Exit status: 0 when every step passed, 1 when one failed (the lab is torn down unless --keep).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export LAB=${LAB:-bpfrdemo}
routes=20000 keep=0 keep_going=0 install=1 build_it=1 build=$top/build
while [ $# -gt 0 ]; do
	case $1 in
	--routes) routes=$2; shift 2 ;;
	--full) routes=0; shift ;;
	--keep) keep=1; shift ;;
	--keep-going) keep_going=1; shift ;;
	--no-install) install=0; shift ;;
	--no-build) build_it=0; shift ;;
	--build) build=$(realpath -m "$2"); shift 2 ;;
	-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--routes N | --full] [--keep] [--keep-going] [--no-install] [--no-build] [--build DIR]" >&2
		exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "demo: needs root" >&2; exit 2; }

bold=$(tput bold 2>/dev/null || true) plain=$(tput sgr0 2>/dev/null || true)
failed=() lab_up=0
say() { printf 'demo: %s\n' "$*"; }
title() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
explain() { printf '   %s\n' "$*"; }

teardown() {
	[ $lab_up = 1 ] || return 0
	say "tearing down the lab"
	"$top/tools/lab/down.sh" >/dev/null 2>&1 || say "tools/lab/down.sh failed; run LAB=$LAB $top/tools/lab/down.sh"
	lab_up=0
}
trap 'teardown' EXIT
trap 'say "interrupted"; exit 130' INT TERM

# fail WHAT: reports a failed step with the daemon's last words; stops unless --keep-going.
fail() {
	printf '%sFAILED:%s %s\n' "$bold" "$plain" "$*"
	failed+=("$*")
	local log
	for log in "${LAB_STATE:-/nonexistent}"/{bpfrouterd,router}.log; do
		[ -s "$log" ] || continue
		echo "   last lines of $log:"
		tail -n 8 "$log" | sed 's/^/     /'
	done
	[ $keep_going = 1 ] && return 0
	finish
}

finish() {
	echo
	if [ ${#failed[@]} -eq 0 ]; then
		say "every step passed"
	else
		say "${#failed[@]} step(s) failed:"
		printf '  - %s\n' "${failed[@]}"
	fi
	if [ $keep = 1 ] && [ $lab_up = 1 ]; then
		lab_up=0
		look_around
	fi
	[ ${#failed[@]} -eq 0 ] && exit 0
	exit 1
}

# wait_for SECONDS CMD...: polls CMD every 0.5 s until it succeeds or SECONDS pass.
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.5
	done
}

# --- install and build ---------------------------------------------------------------------
title "Install and build"
if [ $install = 1 ]; then
	explain "the Debian packages for building and for the lab (BIRD 2, wireguard-go, bgpdump, ...)"
	"$top/tools/install-deps.sh" || { fail "tools/install-deps.sh"; }
fi
"$top/tools/prepare-host.sh" || fail "tools/prepare-host.sh (bpffs, port 179)"
explain "bpfrouterd (the daemon) and bpfrouter (the client), into $build"
if [ $build_it = 1 ] && ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"/tmp/$LAB-cmake.log" 2>&1 &&
	cmake --build "$build" -j"$(nproc)" --target bpfrouterd bpfrouter >>"/tmp/$LAB-cmake.log" 2>&1; }; then
	tail -n 30 "/tmp/$LAB-cmake.log"
	keep_going=0
	fail "build (log: /tmp/$LAB-cmake.log)"
fi
daemon=$build/userspace/daemon/bpfrouterd
client=$build/userspace/cli/bpfrouter

# --- the lab ---------------------------------------------------------------------------------
title "The guide's network in namespaces"
explain "internet hosts -- transit (BIRD 2, AS 64515) -- router (bpfrouterd, AS 65535) -- WireGuard client"
if [ "$routes" = 0 ]; then
	explain "the transit announces the whole lab table; loading it takes a while"
else
	explain "the transit announces $routes IPv4 and $routes IPv6 prefixes of a real table"
fi
if [ -e "/run/netns/$LAB-router" ]; then
	keep_going=0
	fail "a lab named $LAB is up already: LAB=$LAB $top/tools/lab/down.sh"
fi
lab_up=1
if ! "$top/tools/lab/up.sh" --limit "$routes" --daemon "$daemon"; then
	lab_up=0 # up.sh tore down what it built
	keep_going=0
	fail "tools/lab/up.sh (the lab, or bpfrouterd starting in it)"
fi
. "/run/bpfrouter-lab/$LAB/lab.env"
want=$((ROUTES_V4 + ROUTES_V6))

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
router() { "$client" -s "$ROUTER_CTL" "$@"; }
transit() { birdc -s "$TRANSIT_CTL" "$@"; }

look_around() {
	cat <<EOF

The lab stays up ($LAB). Look around:
  $client -s $ROUTER_CTL show protocols all vultr
  $client -s $ROUTER_CTL show route count
  nsenter --net=/run/netns/$NS_ROUTER $client stats --pin-root $PIN_ROOT --top 10
  birdc -s $ROUTER_CTL show route for ${HOSTS_V6%% *}      # birdc speaks to bpfrouterd too
  birdc -s $TRANSIT_CTL show route $ROUTER_PREFIX all
  nsenter --net=/run/netns/$NS_CLIENT ping -c 3 ${HOSTS_V6%% *}
  nsenter --net=/run/netns/$NS_ROUTER wg show $WG_ROUTER_IF
  nsenter --net=/run/netns/$NS_ROUTER bpftool net show      # XDP; tc links: ls $PIN_ROOT/links
  nsenter --net=/run/netns/$NS_ROUTER ip -6 route show proto bird | head   # protocol kernel
  less $LAB_STATE/bpfrouterd.log                          # bpfrouterd's log
Tear down: LAB=$LAB $top/tools/lab/down.sh
EOF
}

# --- the BGP session -------------------------------------------------------------------------
title "1. The BGP session to the transit: Established, with MD5, multihop 2"
explain "bpfrouterd reads the guide's bird.conf unchanged but for addresses and the password"
session_up() { transit show protocols customer6 | grep -q Established; }
if wait_for 90 session_up; then
	transit show protocols all customer6 | sed -n '/customer6/,/Channel/p' | head -n 14
	if router show protocols all vultr; then
		router show protocols all vultr | grep -q Established ||
			fail "bpfrouter show protocols all vultr does not say Established"
	else
		fail "bpfrouter show protocols all vultr (the daemon's show protocols)"
	fi
	explain "the kernel signs the session with the password (TCP-MD5):"
	ss_out=$(in_ns "$NS_ROUTER" ss -tie "dport = :179 or sport = :179")
	grep -o "md5keys:[^ ]*" <<<"$ss_out" | sed 's/^/     /'
	grep -q "md5keys:$TRANSIT_BGP_V6/128" <<<"$ss_out" || fail "no TCP-MD5 key on the IPv6 session"
	explain "the transit's speaker is one hop behind the link (multihop 2):"
	in_ns "$NS_ROUTER" ip -6 route get "$TRANSIT_BGP_V6" | sed 's/^/     /'
else
	transit show protocols all customer6 | sed -n '/customer6/,/Channel/p' | head -n 14
	fail "BGP session vultr not Established within 90 s (transit: $(transit show protocols customer6 | awk '/customer6/ {print $NF}'))"
fi

# --- the /48 at the transit ------------------------------------------------------------------
title "2. The transit sees the /48 the router announces"
explain "the guide's export filter lets $ROUTER_PREFIX out and nothing else"
if wait_for 30 bash -c "birdc -s '$TRANSIT_CTL' show route $ROUTER_PREFIX protocol customer6 |
	grep -q '$ROUTER_PREFIX'"; then
	transit show route "$ROUTER_PREFIX" all | sed -n '2,8p'
else
	fail "$ROUTER_PREFIX not in the transit's BIRD within 30 s"
fi

# --- the table into the fast path ------------------------------------------------------------
title "3. The table arrives and goes into the fast path"
explain "received: routes the router's RIB holds from the transit (bpfrouter show route count);"
explain "in the fast path: entries of the pinned route maps, which the XDP and tc programs read"
# received: what the router's RIB holds from the two sessions (0 when it cannot answer).
received() {
	local p n=0 c
	for p in vultr vultr4; do
		c=$(router show route protocol "$p" count 2>/dev/null | awk '/ of .* routes/ {print $1; exit}')
		n=$((n + ${c:-0}))
	done
	echo $n
}
# in_fast_path: entries of the pinned routes_v4 and routes_v6 maps flagged as learned (from BGP),
# leaving out the router's own local, static and direct routes.
in_fast_path() {
	local m n=0 c
	for m in routes_v4_v1 routes_v6_v1; do
		c=$(bpftool map dump pinned "$PIN_ROOT/$m" 2>/dev/null | grep -c '"flags": 1,')
		n=$((n + ${c:-0}))
	done
	echo $n
}
# Counting map entries costs about a second per 100,000: fewer looks at a full table.
count_every=$((want > 200000 ? 10 : 2))
load_deadline=$((SECONDS + (routes == 0 ? 1500 : 120 + want / 200)))
start=$SECONDS last=-1 now=0 installed=0 stalled=0 looked=-100 first=-1
if [ -t 1 ]; then cr='\r'; else cr='\n'; fi
while :; do
	# A daemon that cannot answer show route will not start to.
	router show route count >/dev/null 2>&1 || break
	# The maps before the RIB, so what is in the fast path never reads above what was received.
	if [ $((SECONDS - looked)) -ge $count_every ] || [ "$now" -ge "$want" ]; then
		installed=$(in_fast_path)
		looked=$SECONDS
	fi
	now=$(received)
	# The rate counts from the first look: part of the table may have come during steps 1 and 2.
	[ $first -lt 0 ] && first=$now
	elapsed=$((SECONDS - start))
	rate=$((elapsed > 0 ? (now - first) / elapsed : 0))
	if [ "$now" -ge "$want" ] && [ "$installed" -ge "$want" ]; then
		state="complete"
	elif [ "$rate" -gt 0 ]; then
		state="about $(((want - now) / rate)) s left"
	elif [ "$now" = 0 ]; then
		state="waiting for the session"
	else
		state="loading"
	fi
	if [ "$now.$installed" != "$last" ] || [ -t 1 ]; then
		printf "$cr"'   received %7d of %d, in the fast path %7d, %6d routes/s, %s   ' "$now" \
			"$want" "$installed" "$rate" "$state"
	fi
	[ "$now" -ge "$want" ] && [ "$installed" -ge "$want" ] && break
	# No session, no table: wait for one no longer than 60 s.
	[ "$now" = 0 ] && [ $((SECONDS - start)) -ge 60 ] && ! session_up && break
	[ "$now.$installed" = "$last" ] && stalled=$((stalled + 1)) || stalled=0
	last=$now.$installed
	# Nothing for 30 s after something arrived: the table will not grow any more.
	{ [ $SECONDS -ge $load_deadline ] || { [ "$now" -gt 0 ] && [ $stalled -ge 30 ]; }; } && break
	sleep 1
done
echo
router show route count | sed 's/^/     /'
if [ "$now" -eq "$want" ] && [ "$installed" -ge "$want" ]; then
	say "all $want routes received and in the fast path after $((SECONDS - start)) s"
else
	fail "$now of the $want routes the transit sent received, $installed in the fast path"
fi
explain "the fast path's programs: XDP on the upstream, where the BGP neighbours are reached"
explain "(one kernel route away: multihop), tc on wg0, which routes point into:"
for link in "$PIN_ROOT"/links/*; do
	printf '     %-40s %s\n' "$link" "$(bpftool link show pinned "$link" | head -n 1)"
done
[ -e "$PIN_ROOT/links/xdp_$ROUTER_UPSTREAM_IF" ] || fail "no XDP link on the upstream $ROUTER_UPSTREAM_IF"
[ -e "$PIN_ROOT/links/tcx_$WG_ROUTER_IF" ] || fail "no tc link on $WG_ROUTER_IF"
explain "the learned routes also go into the router's kernel (protocol kernel), so the kernel"
explain "path agrees with the fast path for whatever the fast path hands to it:"
# kernel_routes: routes bpfrouterd put into the router's kernel (protocol bird, 12).
kernel_routes() {
	echo $(($(in_ns "$NS_ROUTER" ip -4 route show proto bird | wc -l) +
		$(in_ns "$NS_ROUTER" ip -6 route show proto bird | wc -l)))
}
kernel_has_all() { [ "$(kernel_routes)" -ge "$want" ]; }
wait_for 60 kernel_has_all
printf '     %d of %d routes in the router'"'"'s kernel, for example:\n' "$(kernel_routes)" "$want"
in_ns "$NS_ROUTER" ip -6 route show proto bird | head -n 2 | sed 's/^/       /'
[ "$(kernel_routes)" -ge "$want" ] || fail "only $(kernel_routes) of $want routes in the router's kernel"

# --- the client over WireGuard ---------------------------------------------------------------
host6=${HOSTS_V6%% *}
# longest_prefix ADDRESS: the longest prefix of the fed table that holds ADDRESS.
longest_prefix() {
	python3 - "$PREFIXES" "$1" <<'EOF'
import ipaddress, sys
a = ipaddress.ip_address(sys.argv[2])
nets = [ipaddress.ip_network(l.strip()) for l in open(sys.argv[1]) if l.strip()]
best = max((n for n in nets if n.version == a.version and a in n), key=lambda n: n.prefixlen,
           default=None)
print(best or "")
EOF
}
host_prefix=$(longest_prefix "$host6")
# fast_packets ADDRESS: packets the fast path counted on the most specific route to ADDRESS.
fast_packets() {
	"$client" stats --pin-root "$PIN_ROOT" --prefix "$1" --interval 0 --json 2>/dev/null |
		python3 -c '
import ipaddress, json, sys
rows = [p for p in json.load(sys.stdin).get("prefixes", []) if p.get("prefix")]
best = max(rows, key=lambda p: ipaddress.ip_network(p["prefix"]).prefixlen, default=None)
print(best["packets"] if best else 0)' 2>/dev/null || echo 0
}
forwarded_by_kernel() { in_ns "$NS_ROUTER" awk '$1 == "Ip6OutForwDatagrams" {print $2}' /proc/net/snmp6; }

title "4. The client reaches an Internet host over WireGuard, from its address in the /48"
explain "$host6 lies in $host_prefix, a prefix of the real table learned over BGP:"
router show route for "$host6" | sed -n '2,3p' | sed 's/^/     /'
explain "client $CLIENT_V6 -> $WG_CLIENT_IF -> router $WG_ROUTER_IF (tc) -> $ROUTER_UPSTREAM_IF -> transit -> host"
explain "and back: transit -> router $ROUTER_UPSTREAM_IF (XDP) -> $WG_ROUTER_IF -> client"
ping_once() { in_ns "$NS_CLIENT" ping -6 -c 1 -W 1 -I "$CLIENT_V6" "$host6"; }
# The first packets may meet a next hop whose MAC the kernel is still resolving.
wait_for 20 ping_once
sent_before=$(fast_packets "$host6") back_before=$(fast_packets "$CLIENT_V6")
kernel_before=$(forwarded_by_kernel)
if ! in_ns "$NS_CLIENT" ping -6 -c 20 -i 0.05 -W 2 -I "$CLIENT_V6" "$host6" |
	awk 'NR == 1 || /transmitted|rtt/ {print "     " $0}'; then
	fail "ping from the client ($CLIENT_V6) to $host6 through WireGuard"
fi
sent=$(($(fast_packets "$host6") - sent_before)) back=$(($(fast_packets "$CLIENT_V6") - back_before))
by_kernel=$(($(forwarded_by_kernel) - kernel_before))
explain "20 echo requests and their replies, counted by the fast path and by the router's kernel:"
printf '     fast path: %d packets towards %s, %d back towards %s\n' "$sent" "$host_prefix" "$back" \
	"$CLIENT_V6"
printf '     kernel forwarding (Ip6OutForwDatagrams in the router): %d\n' "$by_kernel"
if [ "$sent" -lt 20 ] || [ "$back" -lt 20 ] || [ "$by_kernel" -ne 0 ]; then
	fail "not both directions through the fast path ($sent out, $back back, $by_kernel by the kernel)"
fi

# --- statistics while traffic flows ----------------------------------------------------------
title "5. Per-prefix statistics while traffic flows (bpfrouter stats --top 10)"
explain "the client pings $host6 for 10 s (at most 2,000 packets); stats reads the pinned maps"
in_ns "$NS_CLIENT" timeout 12 ping -6 -q -i 0.005 -c 2000 -W 1 -I "$CLIENT_V6" "$host6" \
	>/dev/null 2>&1 &
flow=$!
flowing() { [ "$(fast_packets "$host6")" -gt $((sent_before + sent + 20)) ]; }
wait_for 5 flowing
# In the router's namespace, so the interfaces' names resolve.
if ! in_ns "$NS_ROUTER" "$client" stats --pin-root "$PIN_ROOT" --top 10 --interval 1; then
	fail "bpfrouter stats --pin-root $PIN_ROOT"
fi
explain "the host's prefix alone (bpfrouter stats --prefix $host6):"
in_ns "$NS_ROUTER" "$client" stats --pin-root "$PIN_ROOT" --prefix "$host6" --interval 1 | sed -n '/^PREFIX/,/^$/p' |
	sed 's/^/     /'
wait $flow 2>/dev/null
packets=$(fast_packets "$host6")
if [ "${packets:-0}" -gt $((sent_before + sent)) ]; then
	say "$host_prefix: $packets packets counted in the fast path"
else
	fail "no packets counted for $host_prefix in bpfrouter stats while the client pinged"
fi

finish
