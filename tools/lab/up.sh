#!/usr/bin/env bash
# Builds the guide's network in namespaces: internet hosts inside real-table prefixes, a transit
# provider (BIRD 2, AS 64515) announcing the fed table over a multihop-2 session with a password,
# the router's namespace with the guide's bird.conf and wg0 (wireguard-go), and a WireGuard
# client with the guide's client configuration. Everything but bpfrouterd: the router's
# configuration is written to $LAB_STATE/router.conf for it.
#
# Usage: tools/lab/up.sh [--limit N] [--table lab|full] [--hosts N] [--standin | --daemon PATH]
#   --limit N      announce N prefixes of each family (default 1000; 0: the whole table)
#   --table T      lab: RouteViews IPv4 + ISP IPv6 (default); full: 1,000,000 + 230,000
#   --hosts N      internet hosts per family, each in its own prefix of the table (default 2)
#   --standin      run BIRD in the router namespace in place of bpfrouterd (proves the lab)
#   --daemon PATH  run this bpfrouterd in the router namespace with router.conf (plus a log
#                  file, $LAB_STATE/bpfrouterd.log), its control
#                  socket at $LAB_STATE/router.ctl, its maps pinned under /sys/fs/bpf/$LAB;
#                  up.sh waits for the socket only, not for sessions or routes
# Environment: LAB (namespace prefix, default bpfrlab), WG_ROUTER_IF, WG_CLIENT_IF.
# Tear down with tools/lab/down.sh (same LAB). On failure, up.sh tears down what it built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

limit=1000 table=lab hosts=2 standin=0 daemon=
while [ $# -gt 0 ]; do
	case $1 in
	--limit) limit=$2; shift 2 ;;
	--table) table=$2; shift 2 ;;
	--hosts) hosts=$2; shift 2 ;;
	--standin) standin=1; shift ;;
	--daemon) daemon=$(realpath "$2"); shift 2 ;;
	*) echo "usage: $0 [--limit N] [--table lab|full] [--hosts N] [--standin | --daemon PATH]" >&2
		exit 2 ;;
	esac
done

if [ -e "$LAB_STATE" ] || [ -e "/run/netns/$NS_ROUTER" ]; then
	echo "lab: $LAB is up already; run LAB=$LAB $here/down.sh first" >&2
	exit 1
fi
trap 'status=$?; if [ $status -ne 0 ]; then say "failed (exit $status), tearing down"; \
	tail -n 20 "$LAB_STATE"/*.log 2>/dev/null || true; LAB=$LAB "$here/down.sh" >/dev/null 2>&1; fi' EXIT
mkdir -p "$LAB_STATE"
chmod 700 "$LAB_STATE"

# Waits until "$@" succeeds, polling every 0.2 s for at most $1 seconds.
wait_for() {
	local seconds=$1; shift
	local deadline=$((SECONDS + seconds))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

birdc_at() { birdc -s "$LAB_STATE/$1.ctl" "${@:2}"; }

# Routes BIRD $1 holds from the protocols $2... (best or not).
route_count() {
	local who=$1 p total=0 n
	for p in "${@:2}"; do
		n=$(birdc_at "$who" show route protocol "$p" count 2>/dev/null |
			awk '/^[0-9]+ of/ {print $1}')
		total=$((total + ${n:-0}))
	done
	echo $total
}

# Waits until BIRD $1 holds $2 routes from the protocols $4..., printing progress; at most $3 s.
wait_routes() {
	local who=$1 want=$2 seconds=$3 start=$SECONDS last=-1 now
	while :; do
		now=$(route_count "$who" "${@:4}")
		if [ "$now" != "$last" ]; then
			say "  $who: $now of $want routes ($((SECONDS - start)) s)"
			last=$now
		fi
		[ "$now" -ge "$want" ] && return 0
		[ $((SECONDS - start)) -lt "$seconds" ] || return 1
		sleep 1
	done
}

established() { birdc_at "$1" show protocols "$2" | grep -q Established; }

say "namespaces $NS_INTERNET $NS_TRANSIT $NS_ROUTER $NS_CLIENT"
for ns in "$NS_INTERNET" "$NS_TRANSIT" "$NS_ROUTER" "$NS_CLIENT"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done

# link NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both ends up.
link() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
addr() { ip -n "$1" addr add "$2" dev "$3" $([[ $2 == *:* ]] && echo nodad); }

say "links: internet -- transit -- router -- client"
link "$NS_INTERNET" "$INTERNET_IF" "$NS_TRANSIT" "$TRANSIT_INTERNET_IF"
addr "$NS_INTERNET" "$INTERNET_V4/30" "$INTERNET_IF"
addr "$NS_INTERNET" "$INTERNET_V6/64" "$INTERNET_IF"
addr "$NS_TRANSIT" "$TRANSIT_INTERNET_V4/30" "$TRANSIT_INTERNET_IF"
addr "$NS_TRANSIT" "$TRANSIT_INTERNET_V6/64" "$TRANSIT_INTERNET_IF"

link "$NS_TRANSIT" "$TRANSIT_CUSTOMER_IF" "$NS_ROUTER" "$ROUTER_UPSTREAM_IF"
addr "$NS_TRANSIT" "$TRANSIT_CUSTOMER_V4/30" "$TRANSIT_CUSTOMER_IF"
addr "$NS_TRANSIT" "$TRANSIT_CUSTOMER_V6/64" "$TRANSIT_CUSTOMER_IF"
addr "$NS_ROUTER" "$ROUTER_V4/30" "$ROUTER_UPSTREAM_IF"
addr "$NS_ROUTER" "$ROUTER_V6/64" "$ROUTER_UPSTREAM_IF"
addr "$NS_TRANSIT" "$TRANSIT_BGP_V4/32" lo
addr "$NS_TRANSIT" "$TRANSIT_BGP_V6/128" lo

link "$NS_ROUTER" "$ROUTER_ACCESS_IF" "$NS_CLIENT" "$CLIENT_IF"
addr "$NS_ROUTER" "$ROUTER_ACCESS_V4/30" "$ROUTER_ACCESS_IF"
addr "$NS_CLIENT" "$CLIENT_V4/30" "$CLIENT_IF"

say "router: $ROUTER_DUMMY_IF (a veth standing in for the guide's dummy) with $ROUTER_PREFIX"
ip -n "$NS_ROUTER" link add "$ROUTER_DUMMY_IF" type veth peer name "${ROUTER_DUMMY_IF}p"
ip -n "$NS_ROUTER" link set "${ROUTER_DUMMY_IF}p" up
ip -n "$NS_ROUTER" link set "$ROUTER_DUMMY_IF" up
addr "$NS_ROUTER" "$ROUTER_PREFIX" "$ROUTER_DUMMY_IF"

say "forwarding on in transit and router; the router reaches the transit's BGP speaker by a static route"
for ns in "$NS_TRANSIT" "$NS_ROUTER"; do
	in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
ip -n "$NS_ROUTER" route add "$TRANSIT_BGP_V4/32" via "$TRANSIT_CUSTOMER_V4"
ip -n "$NS_ROUTER" -6 route add "$TRANSIT_BGP_V6/128" via "$TRANSIT_CUSTOMER_V6"
# The Internet side: the transit's default points at the hosts, the hosts' at the transit.
ip -n "$NS_TRANSIT" route add default via "$INTERNET_V4"
ip -n "$NS_TRANSIT" -6 route add default via "$INTERNET_V6"
ip -n "$NS_INTERNET" route add default via "$TRANSIT_INTERNET_V4"
ip -n "$NS_INTERNET" -6 route add default via "$TRANSIT_INTERNET_V6"

say "table: feeding the $table table, limit $limit per family (tools/table-feeder.py)"
"$here/../table-feeder.py" --table "$table" --limit "$limit" --via4 "$INTERNET_V4" \
	--via6 "$INTERNET_V6" --bird "$LAB_STATE/feed.conf" --prefixes "$LAB_STATE/prefixes.txt"
routes_v4=$(grep -vc : "$LAB_STATE/prefixes.txt" || true)
routes_v6=$(grep -c : "$LAB_STATE/prefixes.txt" || true)

# Internet hosts: the first address of prefixes spread over the table (/24 or shorter, /48 or
# shorter), so the router reaches them only on routes learned over BGP.
read -r hosts_v4 hosts_v6 < <(python3 - "$LAB_STATE/prefixes.txt" "$hosts" <<'EOF'
import ipaddress, sys
nets = [ipaddress.ip_network(l.strip()) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
def pick(family, maxlen):
    c = [x for x in nets if x.version == family and x.prefixlen <= maxlen]
    step = max(1, len(c) // max(1, n))
    return ",".join(str(x.network_address + 1) for x in c[::step][:n])
print(pick(4, 24) or "-", pick(6, 48) or "-")
EOF
)
say "internet hosts: ${hosts_v4//,/ } ${hosts_v6//,/ }"
for h in ${hosts_v4//,/ } ${hosts_v6//,/ }; do
	[ "$h" = - ] && continue
	if [[ $h == *:* ]]; then addr "$NS_INTERNET" "$h/128" lo; else addr "$NS_INTERNET" "$h/32" lo; fi
done

password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
echo "$password" > "$LAB_STATE/bgp-password"

say "transit: BIRD 2 as AS $TRANSIT_AS, sessions to $ROUTER_V6 and $ROUTER_V4 (multihop 2, password)"
cat > "$LAB_STATE/transit.conf" <<EOF
# The lab's transit provider (the guide's Vultr, AS $TRANSIT_AS).
log "$LAB_STATE/transit-bird.log" all;
router id $TRANSIT_BGP_V4;

protocol device { scan time 5; }
protocol direct { ipv4; ipv6; }

# Routes learned from the customer go into the kernel, so traffic to it is forwarded.
protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; }
protocol kernel { ipv6 { import none; export where source = RTS_BGP; }; }

include "$LAB_STATE/feed.conf";

protocol bgp customer6 {
	description "bpfrouter lab customer, IPv6";
	local $TRANSIT_BGP_V6 as $TRANSIT_AS;
	neighbor $ROUTER_V6 as $ROUTER_AS;
	multihop 2;
	password "$password";
	ipv6 { import all; export where proto = "feed6"; };
}

protocol bgp customer4 {
	description "bpfrouter lab customer, IPv4";
	local $TRANSIT_BGP_V4 as $TRANSIT_AS;
	neighbor $ROUTER_V4 as $ROUTER_AS;
	multihop 2;
	password "$password";
	ipv4 { import all; export where proto = "feed4"; };
}
EOF
bird -p -c "$LAB_STATE/transit.conf"
in_ns "$NS_TRANSIT" bird -c "$LAB_STATE/transit.conf" -s "$LAB_STATE/transit.ctl" \
	-P "$LAB_STATE/transit.pid" </dev/null >"$LAB_STATE/transit.log" 2>&1
say "transit: loading $routes_v4 IPv4 and $routes_v6 IPv6 routes"
wait_routes transit $((routes_v4 + routes_v6)) 600 feed4 feed6

say "router: the guide's bird.conf with the lab's addresses, password and an IPv4 session"
cat > "$LAB_STATE/router.conf" <<EOF
log syslog all;

router id $ROUTER_V4;
# Replace 0.0.0.0 with your VPS's public IPv4 address

protocol device {
        scan time 5;
}

protocol direct {
        interface "dummy*";
        ipv6;
}

protocol static
{
        ipv6;
        route 2001:DB8:1234::/48 via $ROUTER_V6;
}

protocol bgp vultr {
        description "Vultr";
        local $ROUTER_V6 as $ROUTER_AS;
        neighbor $TRANSIT_BGP_V6 as $TRANSIT_AS;
        multihop 2;
        password "$password";
        ipv6 {
                import all;
                export filter {
                        if net = 2001:DB8:1234::/48 then accept;
                };
        };
}

# Added for the lab: the same session over IPv4, so the IPv4 table flows too.
protocol bgp vultr4 {
        description "Vultr IPv4";
        local $ROUTER_V4 as $ROUTER_AS;
        neighbor $TRANSIT_BGP_V4 as $TRANSIT_AS;
        multihop 2;
        password "$password";
        ipv4 {
                import all;
                export none;
        };
}
EOF
cp "$LAB_STATE/router.conf" "$LAB_STATE/router-guide.conf"
cat >> "$LAB_STATE/router.conf" <<EOF

# Added for the lab: the routes learned over BGP also go into the router's kernel, so what the
# fast path hands to the kernel is forwarded the same way (on the guide's VPS the provider's
# default route does that).
protocol kernel { ipv4 { export where source = RTS_BGP; }; }
protocol kernel { ipv6 { export where source = RTS_BGP; }; }
EOF
bird -p -c "$LAB_STATE/router.conf"

say "router: wireguard-go $WG_ROUTER_IF, the guide's wg0.conf (port $WG_PORT)"
umask 077
wg genkey > "$LAB_STATE/router.key"
wg pubkey < "$LAB_STATE/router.key" > "$LAB_STATE/router.pub"
wg genkey > "$LAB_STATE/client.key"
wg pubkey < "$LAB_STATE/client.key" > "$LAB_STATE/client.pub"
umask 022
cat > "$LAB_STATE/wg0.conf" <<EOF
[Interface]
PrivateKey = $(cat "$LAB_STATE/router.key")
Address = 2001:DB8:1234:a::/64
ListenPort = $WG_PORT

[Peer]
PublicKey = $(cat "$LAB_STATE/client.pub")
AllowedIPs = 2001:DB8:1234:a:1::/80
EOF
cat > "$LAB_STATE/client.conf" <<EOF
[Interface]
PrivateKey = $(cat "$LAB_STATE/client.key")
Address = 2001:DB8:1234:a:1::/64

[Peer]
PublicKey = $(cat "$LAB_STATE/router.pub")
AllowedIPs = ::/0
Endpoint = $ROUTER_ACCESS_V4:$WG_PORT
EOF
chmod 600 "$LAB_STATE/wg0.conf" "$LAB_STATE/client.conf"

# start_wg NS IF CONF: wireguard-go in the foreground in the background, configured as wg-quick
# would: the config without its wg-quick lines, the address, MTU 1420, routes for AllowedIPs.
start_wg() {
	local ns=$1 dev=$2 conf=$3 name=$4
	nsenter --net="/run/netns/$ns" wireguard-go -f "$dev" \
		</dev/null >"$LAB_STATE/wg-$name.log" 2>&1 &
	echo $! > "$LAB_STATE/wg-$name.pid"
	wait_for 10 in_ns "$ns" wg show "$dev"
	# wg-quick strip wants a file named after the interface.
	mkdir -p "$LAB_STATE/wg-$name"
	cp "$conf" "$LAB_STATE/wg-$name/$dev.conf"
	in_ns "$ns" wg setconf "$dev" <(wg-quick strip "$LAB_STATE/wg-$name/$dev.conf")
	rm -r "$LAB_STATE/wg-$name"
	local address
	address=$(sed -n 's/^Address = //p' "$conf")
	ip -n "$ns" addr add "$address" dev "$dev" nodad
	ip -n "$ns" link set "$dev" mtu 1420 up
}
start_wg "$NS_ROUTER" "$WG_ROUTER_IF" "$LAB_STATE/wg0.conf" router
ip -n "$NS_ROUTER" -6 route add "$WG_CLIENT_ALLOWED" dev "$WG_ROUTER_IF"

say "client: wireguard-go $WG_CLIENT_IF, the guide's client config (endpoint $ROUTER_ACCESS_V4:$WG_PORT)"
start_wg "$NS_CLIENT" "$WG_CLIENT_IF" "$LAB_STATE/client.conf" client
ip -n "$NS_CLIENT" -6 route add ::/0 dev "$WG_CLIENT_IF"

cat > "$LAB_STATE/lab.env" <<EOF
LAB=$LAB
LAB_STATE=$LAB_STATE
NS_INTERNET=$NS_INTERNET
NS_TRANSIT=$NS_TRANSIT
NS_ROUTER=$NS_ROUTER
NS_CLIENT=$NS_CLIENT
ROUTER_CONF=$LAB_STATE/router.conf
ROUTER_UPSTREAM_IF=$ROUTER_UPSTREAM_IF
ROUTER_ACCESS_IF=$ROUTER_ACCESS_IF
ROUTER_DUMMY_IF=$ROUTER_DUMMY_IF
ROUTER_V4=$ROUTER_V4
ROUTER_V6=$ROUTER_V6
ROUTER_PREFIX=$ROUTER_PREFIX
TRANSIT_BGP_V4=$TRANSIT_BGP_V4
TRANSIT_BGP_V6=$TRANSIT_BGP_V6
TRANSIT_CTL=$LAB_STATE/transit.ctl
WG_ROUTER_IF=$WG_ROUTER_IF
WG_CLIENT_IF=$WG_CLIENT_IF
CLIENT_V6=$CLIENT_V6
HOSTS_V4="${hosts_v4//,/ }"
HOSTS_V6="${hosts_v6//,/ }"
ROUTES_V4=$routes_v4
ROUTES_V6=$routes_v6
PREFIXES=$LAB_STATE/prefixes.txt
BGP_PASSWORD=$password
EOF

if [ $standin = 1 ]; then
	say "router: BIRD standing in for bpfrouterd (the guide's config, plus kernel export)"
	{
		cat "$LAB_STATE/router-guide.conf"
		cat <<EOF

# Stand-in only: BIRD puts the learned routes into the kernel, which forwards them, and learns
# the static route to the transit's BGP speaker to resolve the recursive next hops.
protocol kernel { ipv4 { import all; export where source = RTS_BGP; }; learn; }
protocol kernel { ipv6 { import all; export where source = RTS_BGP; }; learn; }
EOF
	} > "$LAB_STATE/router-standin.conf"
	bird -p -c "$LAB_STATE/router-standin.conf"
	in_ns "$NS_ROUTER" bird -c "$LAB_STATE/router-standin.conf" -s "$LAB_STATE/router.ctl" \
		-P "$LAB_STATE/router.pid" </dev/null >"$LAB_STATE/router.log" 2>&1
	wait_for 60 established router vultr
	wait_for 60 established router vultr4
	say "router: sessions vultr and vultr4 Established"
	wait_routes router $((routes_v4 + routes_v6)) 600 vultr vultr4
	echo "ROUTER_CTL=$LAB_STATE/router.ctl" >> "$LAB_STATE/lab.env"
fi

if [ -n "$daemon" ]; then
	pin_root=/sys/fs/bpf/$LAB
	echo "$pin_root" > "$LAB_STATE/pin-root"
	# A veth accepts XDP-redirected frames only with NAPI on its receiving end: GRO turns it on,
	# so the router's fast path can redirect into the transit's customer link.
	in_ns "$NS_TRANSIT" ethtool -K "$TRANSIT_CUSTOMER_IF" gro on >/dev/null
	# The guide logs to syslog, which a lab host may not keep: the daemon also logs to a file.
	{
		cat "$LAB_STATE/router.conf"
		printf '\n# Lab only: the log in a file beside the others.\nlog "%s" all;\n' \
			"$LAB_STATE/bpfrouterd.log"
	} > "$LAB_STATE/router-daemon.conf"
	say "router: bpfrouterd with router.conf (socket $LAB_STATE/router.ctl, pins $pin_root)"
	nsenter --net="/run/netns/$NS_ROUTER" "$daemon" -f -c "$LAB_STATE/router-daemon.conf" \
		-s "$LAB_STATE/router.ctl" -P "$LAB_STATE/router.pid" --pin-root "$pin_root" \
		</dev/null >"$LAB_STATE/router.log" 2>&1 &
	echo $! > "$LAB_STATE/router.pid"
	# Ready when it greets on its control socket (which commands it answers is its own business).
	if ! wait_for 30 bash -c "birdc -s '$LAB_STATE/router.ctl' show status 2>&1 | grep -q ready"; then
		say "router: bpfrouterd does not answer on $LAB_STATE/router.ctl"
		exit 1
	fi
	{
		echo "ROUTER_CTL=$LAB_STATE/router.ctl"
		echo "PIN_ROOT=$pin_root"
	} >> "$LAB_STATE/lab.env"
fi

trap - EXIT
say "up. Variables for scripts: $LAB_STATE/lab.env"
cat <<EOF
lab: look around:
  nsenter --net=/run/netns/$NS_TRANSIT birdc -s $LAB_STATE/transit.ctl show protocols
  nsenter --net=/run/netns/$NS_CLIENT ping -c 3 ${hosts_v6%%,*}
  nsenter --net=/run/netns/$NS_ROUTER wg show $WG_ROUTER_IF
lab: the router's configuration for bpfrouterd: $LAB_STATE/router.conf
lab: tear down: LAB=$LAB $here/down.sh
EOF
