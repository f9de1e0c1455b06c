#!/usr/bin/env python3
"""bpfrouter's benchmarks, every case in one run, printed as one table of figures and ratios.

Absolute figures drift on shared machines, so every comparison is made within the same run:

  forwarding   64-byte IPv4 frames to a fresh random address of the table for every frame, from
               an XDP live-frames generator: bpfrouterd (the real daemon, fed over BGP by BIRD 2)
               with the full table and with 1,000 prefixes, against Linux forwarding with the
               same routes in its FIB and a bare XDP redirect (bpfr-fwbench), the ceiling.
               Also ns per packet of the daemon's XDP program under BPF_PROG_TEST_RUN.
  convergence  a BIRD 2 feeder announces the table over BGP: from Established until every route
               is imported (and, for bpfrouterd, in its route maps), bpfrouterd against BIRD 2 as
               the receiver; CPU seconds, peak RSS, bpfrouterd's BPF map memory; the time from
               one UPDATE to its entry in the route map, p50 and p99.
  churn        a BGP sender flaps prefixes at a set rate; whether the daemon keeps up (its
               backlog, and how long it needs after the last update), and LPM-trie inserts per
               second, one syscall each against batches.
  filter CPU   the same table imported through a realistic filter (prefix lengths, bogons, AS
               path checks, communities added): bpfrouterd against BIRD 2, CPU seconds.
  lookup       tools/lookup-bench with the same table sizes.

The topology, in namespaces made for the run and removed after it:

  gen eth0 -- in0 dut out0 -- eth0 sink        gen: XDP live-frames generator
                  dut bgp0 -- eth0 feed        sink: XDP counter that drops
                                               feed: BIRD 2 feeder and the Python churn sender
Routes are announced with the sink as next hop (BIRD's `next hop address`), so the sessions run
over bgp0 and the traffic leaves through out0.
"""

import argparse
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
SOURCE = os.path.realpath(os.path.join(HERE, "..", ".."))

# Sizes: IPv4 and IPv6 table, the small table, seconds per forwarding case, XDP test-run samples,
# churn rate and seconds, UPDATE-to-map samples, seconds each convergence may take at most.
SIZES = {
    "smoke": dict(v4=2000, v6=500, small=200, seconds=1, samples=2000, churn_rate=2000,
                  churn_seconds=1, latency=20, converge_timeout=60),
    "quick": dict(v4=50000, v6=12000, small=1000, seconds=3, samples=20000, churn_rate=10000,
                  churn_seconds=3, latency=100, converge_timeout=180),
    "full": dict(v4=1000000, v6=230000, small=1000, seconds=5, samples=50000, churn_rate=10000,
                 churn_seconds=10, latency=300, converge_timeout=900),
}

FEED_AS, ROUTER_AS, CHURN_AS = 20473, 65535, 65001
STREAM = 9
QUIET_S = 1.0  # a receiver whose CPU time stands still this long has finished its work
IDLE_CPU_S = 0.02  # what an idle daemon may spend meanwhile (bpfrouterd's heartbeat, polls)

# The realistic import filter: the guide's style of transit filter.
FILTERS = """
define BOGON_PREFIXES_V4 = [ 0.0.0.0/8+, 10.0.0.0/8+, 100.64.0.0/10+, 127.0.0.0/8+,
  169.254.0.0/16+, 172.16.0.0/12+, 192.0.0.0/24+, 192.0.2.0/24+, 192.168.0.0/16+,
  198.18.0.0/15+, 198.51.100.0/24+, 203.0.113.0/24+, 224.0.0.0/4+, 240.0.0.0/4+ ];
define BOGON_PREFIXES_V6 = [ ::/8+, 0100::/64+, 2001:2::/48+, 2001:10::/28+, 2001:db8::/32+,
  2002::/16+, 3ffe::/16+, fc00::/7+, fe80::/10+, fec0::/10+, ff00::/8+ ];
define BOGON_ASNS = [ 0, 23456, 64496..64511, 64512..65534, 65535, 65536..131071,
  4200000000..4294967295 ];

function bad_path() {
  if bgp_path.len > 64 then return true;
  if bgp_path.first != %(feed_as)d then return true;
  if filter(bgp_path, BOGON_ASNS).len > 0 then return true;
  return false;
}

filter transit_in_v4 {
  if net.len < 8 || net.len > 24 then reject;
  if net ~ BOGON_PREFIXES_V4 then reject;
  if bad_path() then reject;
  bgp_community.add((%(router_as)d, 100));
  bgp_large_community.add((%(router_as)d, 1, %(feed_as)d));
  bgp_local_pref = 100;
  accept;
}

filter transit_in_v6 {
  if net.len < 16 || net.len > 48 then reject;
  if net ~ BOGON_PREFIXES_V6 then reject;
  if bad_path() then reject;
  bgp_community.add((%(router_as)d, 100));
  bgp_large_community.add((%(router_as)d, 1, %(feed_as)d));
  bgp_local_pref = 100;
  accept;
}
""" % dict(feed_as=FEED_AS, router_as=ROUTER_AS)

# The lab's addresses: gen -- dut (1), dut -- sink (2), dut -- feed (3).
ADDR = dict(gen4="10.97.1.1", in4="10.97.1.2", gen6="fd97:1::1", in6="fd97:1::2",
            out4="10.97.2.1", sink4="10.97.2.2", out6="fd97:2::1", sink6="fd97:2::2",
            bgp4="10.97.3.1", feed4="10.97.3.2", churn4="10.97.3.3", bgp6="fd97:3::1",
            feed6="fd97:3::2")


def evenly(items, limit):
    """limit items spread over the whole list, so a slice keeps the table's mix."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


def run(argv, timeout=120, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise BenchError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


def in_ns(ns, argv):
    return ["nsenter", f"--net=/run/netns/{ns}"] + argv


def wait_until(done, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout} s waiting for {what}")


# --- processes -------------------------------------------------------------------------------

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def bpf_map_memory_mib(pid):
    """memlock of every BPF map the process holds, each map once (fdinfo)."""
    seen = {}
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as fh:
                text = fh.read()
        except OSError:
            continue
        map_id = re.search(r"^map_id:\s+(\d+)", text, re.M)
        memlock = re.search(r"^memlock:\s+(\d+)", text, re.M)
        if map_id and memlock:
            seen[map_id.group(1)] = int(memlock.group(1))
    return sum(seen.values()) / (1 << 20), len(seen)


class Daemon:
    """A routing daemon (bpfrouterd or BIRD) in the foreground in a namespace."""

    def __init__(self, name, argv, ns, socket_path, logfile):
        self.name, self.socket = name, socket_path
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(in_ns(ns, argv), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.logfile = logfile
        self.pin = None  # bpfrouterd: its pin root
        self.own_routes = {"4": 0, "6": 0}  # bpfrouterd: map entries before any session

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def birdc(self, *args, timeout=60):
        """The reply, or "" when the daemon does not answer in time (BIRD parsing a big
        configuration does not)."""
        try:
            return run(["birdc", "-s", self.socket] + list(args), timeout=timeout,
                       check=False).stdout
        except subprocess.TimeoutExpired:
            return ""

    def wait_ready(self, timeout=60):
        def ready():
            if not self.alive():
                raise BenchError(f"{self.name} exited: {tail(self.logfile)}")
            return "ready" in self.birdc("show", "status", timeout=10)
        wait_until(ready, timeout, 0.1, f"{self.name} on {self.socket}")

    def protocols(self):
        """{name: (established, imported routes)} from `show protocols all`."""
        out, found, current = self.birdc("show", "protocols", "all"), {}, None
        for line in out.splitlines():
            m = re.match(r"^(\S+)\s+BGP\s", line)
            if m:
                current = m.group(1)
                found[current] = ["Established" in line, 0]
                continue
            m = re.search(r"Routes:\s+(\d+) imported", line)
            if m and current in found:
                found[current][1] = int(m.group(1))
        return {k: tuple(v) for k, v in found.items()}

    def established(self, *names):
        out = self.birdc("show", "protocols")
        return all(re.search(rf"^{n}\s.*Established", out, re.M) for n in names)

    def exported(self, name):
        """Routes a BIRD protocol has sent (accepted export updates)."""
        out = self.birdc("show", "protocols", "all", name)
        m = re.search(r"Export updates:\s+(?:\S+\s+){4}(\d+)", out)
        return int(m.group(1)) if m else 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def tail(path, lines=15):
    try:
        with open(path) as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


# --- BPF syscalls for the UPDATE-to-map probe ------------------------------------------------

class _ObjGet(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32),
                ("file_flags", ctypes.c_uint32)]


class _MapElem(ctypes.Structure):
    _fields_ = [("map_fd", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("key", ctypes.c_uint64),
                ("value", ctypes.c_uint64), ("flags", ctypes.c_uint64)]


class PinnedMap:
    """Lookups in a pinned IPv4 route map (struct bpfr_route_key_v4 keys, LPM trie)."""
    SYS_BPF, OBJ_GET, LOOKUP = 321, 7, 1

    def __init__(self, path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.path = ctypes.create_string_buffer(path.encode())
        attr = _ObjGet(pathname=ctypes.addressof(self.path))
        self.fd = self.libc.syscall(self.SYS_BPF, self.OBJ_GET, ctypes.byref(attr),
                                    ctypes.sizeof(attr))
        if self.fd < 0:
            raise BenchError(f"open {path}: {os.strerror(ctypes.get_errno())}")
        self.key = ctypes.create_string_buffer(8)
        self.value = ctypes.create_string_buffer(64)
        self.attr = _MapElem(map_fd=self.fd, key=ctypes.addressof(self.key),
                             value=ctypes.addressof(self.value))

    def has(self, address):
        self.key.raw = struct.pack("=I", 32) + socket.inet_aton(address)
        return self.libc.syscall(self.SYS_BPF, self.LOOKUP, ctypes.byref(self.attr),
                                 ctypes.sizeof(self.attr)) == 0

    def close(self):
        os.close(self.fd)


# --- a small BGP sender ----------------------------------------------------------------------

def enter_netns(path):
    """Moves the calling thread into a namespace; returns an fd of the one it was in."""
    libc = ctypes.CDLL(None, use_errno=True)
    saved = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    if libc.setns(target, 0x40000000) != 0:
        raise BenchError(f"setns {path}: {os.strerror(ctypes.get_errno())}")
    os.close(target)
    return saved


def leave_netns(saved):
    ctypes.CDLL(None, use_errno=True).setns(saved, 0x40000000)
    os.close(saved)


def bgp_message(kind, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body


def nlri(prefix):
    addr, plen = prefix.split("/")
    plen = int(plen)
    return bytes([plen]) + socket.inet_aton(addr)[:(plen + 7) // 8]


class BgpSender:
    """IPv4 unicast announcements and withdrawals, pre-encoded, one prefix per UPDATE (the worst
    case for the receiver). 4-octet AS numbers; a thread answers the peer's keepalives."""

    def __init__(self, netns_path, local, peer, local_as, nexthop):
        self.local_as, self.nexthop = local_as, socket.inet_aton(nexthop)
        saved = enter_netns(netns_path)
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind((local, 0))
            self.sock.settimeout(30)
            self.sock.connect((peer, 179))
        finally:
            leave_netns(saved)
        self.lock = threading.Lock()
        caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", local_as)
        params = bytes([2, len(caps)]) + caps
        self.send(bgp_message(1, struct.pack("!BHH4sB", 4, local_as, 90, socket.inet_aton(local),
                                             len(params)) + params))
        self.read_message()  # the peer's OPEN
        self.send(bgp_message(4, b""))
        kind = self.read_message()
        if kind != 4:
            raise BenchError(f"bgp churn: expected KEEPALIVE, got message type {kind}")
        self.running = True
        self.sock.settimeout(None)
        threading.Thread(target=self.reader, daemon=True).start()
        threading.Thread(target=self.keepalives, daemon=True).start()

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise BenchError("bgp churn: the peer closed the session")
            data += chunk
        return data

    def read_message(self):
        header = self.read_exact(19)
        length, kind = struct.unpack("!HB", header[16:])
        body = self.read_exact(length - 19)
        if kind == 3:
            raise BenchError(f"bgp churn: NOTIFICATION {body[:2].hex()}")
        return kind

    def reader(self):
        try:
            while self.running:
                self.read_message()
        except (BenchError, OSError):
            self.running = False

    def keepalives(self):
        while self.running:
            time.sleep(20)
            if self.running:
                self.send(bgp_message(4, b""))

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def outq(self):
        import fcntl
        import termios
        buf = fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        return struct.unpack("i", buf)[0]

    def announce(self, prefix, med=0):
        path = struct.pack("!BBI", 2, 1, self.local_as)
        attrs = (bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, len(path)]) + path +
                 bytes([0x40, 3, 4]) + self.nexthop + bytes([0x80, 4, 4]) + struct.pack("!I", med))
        return bgp_message(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs +
                           nlri(prefix))

    def withdraw(self, prefix):
        w = nlri(prefix)
        return bgp_message(2, struct.pack("!H", len(w)) + w + struct.pack("!H", 0))

    def close(self):
        self.running = False
        try:
            self.sock.close()
        except OSError:
            pass


# --- the run ---------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, size):
        self.args, self.size = args, size
        self.build = args.build
        self.tag = f"bpfrb{os.getpid() % 100000}"
        self.ns = {k: f"{self.tag}-{k}" for k in ("gen", "dut", "sink", "feed")}
        self.dir = tempfile.mkdtemp(prefix="bpfr-bench-", dir=args.workdir)
        self.daemons, self.pins, self.results = [], [], {}
        self.started = time.monotonic()

    def tool(self, *parts):
        path = os.path.join(self.build, *parts)
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is not built (cmake --build {self.build})")
        return path

    # topology

    def up(self):
        for ns in self.ns.values():
            run(["ip", "netns", "add", ns])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.link("gen", "eth0", [ADDR["gen4"], ADDR["gen6"]],
                  "dut", "in0", [ADDR["in4"], ADDR["in6"]])
        self.link("dut", "out0", [ADDR["out4"], ADDR["out6"]],
                  "sink", "eth0", [ADDR["sink4"], ADDR["sink6"]])
        self.link("dut", "bgp0", [ADDR["bgp4"], ADDR["bgp6"]], "feed", "eth0",
                  [ADDR["feed4"], ADDR["churn4"], ADDR["feed6"]])
        dut = self.ns["dut"]
        run(in_ns(dut, ["sysctl", "-qw", "net.ipv4.ip_forward=1",
                        "net.ipv6.conf.all.forwarding=1"]))
        # The sink drops every frame, ARP and ND included: its address is resolved by hand.
        sink_mac = self.mac("sink", "eth0")
        run(["ip", "-n", dut, "neigh", "replace", ADDR["sink4"], "lladdr", sink_mac, "dev", "out0",
             "nud", "permanent"])
        run(["ip", "-n", dut, "-6", "neigh", "replace", ADDR["sink6"], "lladdr", sink_mac, "dev",
             "out0", "nud", "permanent"])

    def link(self, ns_a, dev_a, addrs_a, ns_b, dev_b, addrs_b):
        a, b = self.ns[ns_a], self.ns[ns_b]
        run(["ip", "-n", a, "link", "add", dev_a, "type", "veth", "peer", "name", dev_b,
             "netns", b])
        for ns, dev, addrs in ((a, dev_a, addrs_a), (b, dev_b, addrs_b)):
            for addr in addrs:
                extra = ["nodad"] if ":" in addr else []
                run(["ip", "-n", ns, "addr", "add", addr + ("/64" if ":" in addr else "/24"),
                     "dev", dev] + extra)
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def mac(self, ns, dev):
        out = run(["ip", "-n", self.ns[ns], "-j", "link", "show", dev]).stdout
        return json.loads(out)[0]["address"]

    def down(self):
        for d in self.daemons:
            d.stop()
        for pin in self.pins:
            shutil.rmtree(pin, ignore_errors=True)
        for ns in self.ns.values():
            if os.path.exists(f"/run/netns/{ns}"):
                run(["ip", "netns", "del", ns], check=False)
        if self.args.keep:
            log(f"logs and tables kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # tables

    def make_tables(self):
        """The feeder's full table, made once per machine and cached, then even slices of it."""
        start = time.monotonic()
        full = self.full_table()
        routes = {"4": [], "6": []}
        family = None
        with open(full) as fh:
            for line in fh:
                m = re.match(r"protocol static feed(4|6) ", line)
                if m:
                    family = m.group(1)
                elif line.startswith("  route ") and family:
                    routes[family].append(line)
        self.count = {}
        for name, limits in (("feed", (self.size["v4"], self.size["v6"])),
                             ("small", (self.size["small"], self.size["small"]))):
            self.count[name] = {}
            for family, limit in zip(("4", "6"), limits):
                chosen = evenly(routes[family], limit)
                with open(self.path(f"{name}{family}.conf"), "w") as fh:
                    fh.write(f"protocol static {name}{family} {{\n  ipv{family};\n")
                    fh.writelines(chosen)
                    fh.write("}\n")
                with open(self.path(f"{name}{family}.txt"), "w") as fh:
                    fh.writelines(line.split()[1] + "\n" for line in chosen)
                self.count[name][family] = len(chosen)
        log(f"tables: {self.count['feed']['4']} + {self.count['feed']['6']} prefixes, small "
            f"{self.count['small']['4']} + {self.count['small']['6']} "
            f"({time.monotonic() - start:.0f} s)")

    def full_table(self):
        """tools/table-feeder.py --table full, cached by what it is made from; an older cache
        (another checkout, other data) is removed, since each is 170 MB."""
        feeder = os.path.join(SOURCE, "tools", "table-feeder.py")
        shared = os.environ.get("BPFR_SHARED_DIR", os.path.join(SOURCE, "..", "shared"))
        data = os.environ.get("BPFR_DATA_DIR", os.path.join(shared, "data"))
        sources = [feeder] + [os.path.join(data, d) for d in ("mrt", "prefixlists")]
        key = hashlib.sha1("|".join(f"{os.path.realpath(p)}:{os.stat(p).st_mtime_ns}"
                                    for p in sources).encode()).hexdigest()[:16]
        cache = os.environ.get("BPFR_CACHE_DIR", "/var/tmp/bpfrouter-table-feeder")
        os.makedirs(cache, exist_ok=True)
        path = os.path.join(cache, f"bench-full-{key}.conf")
        if not os.path.exists(path):
            for old in os.listdir(cache):
                if old.startswith("bench-full-"):
                    os.remove(os.path.join(cache, old))
            log(f"making the full table with {feeder} (cached in {path})")
            tmp = f"{path}.tmp{os.getpid()}"
            run([feeder, "--table", "full", "--data", data, "--bird", tmp], timeout=1800)
            os.replace(tmp, path)
        return path

    def path(self, name):
        return os.path.join(self.dir, name)

    # the feeder

    def start_feeder(self, table):
        conf = self.path(f"feeder-{table}.conf")
        with open(conf, "w") as fh:
            fh.write(f"""# The benchmark's feeder: the {table} table over BGP, next hop the sink.
router id {ADDR['feed4']};
protocol device {{ scan time 10; }}
include "{self.path(table + '4.conf')}";
include "{self.path(table + '6.conf')}";
protocol bgp to_dut4 {{
  local {ADDR['feed4']} as {FEED_AS}; neighbor {ADDR['bgp4']} as {ROUTER_AS};
  connect retry time 1; error wait time 1, 2; disabled;
  ipv4 {{ import none; export where proto = "{table}4"; next hop address {ADDR['sink4']}; }};
}}
protocol bgp to_dut6 {{
  local {ADDR['feed6']} as {FEED_AS}; neighbor {ADDR['bgp6']} as {ROUTER_AS};
  connect retry time 1; error wait time 1, 2; disabled;
  ipv6 {{ import none; export where proto = "{table}6"; next hop address {ADDR['sink6']}; }};
}}
""")
        run(["bird", "-p", "-c", conf])
        feeder = Daemon(f"feeder ({table})", ["bird", "-f", "-c", conf, "-s",
                                              self.path(f"feeder-{table}.ctl")],
                        self.ns["feed"], self.path(f"feeder-{table}.ctl"),
                        self.path(f"feeder-{table}.log"))
        self.daemons.append(feeder)
        feeder.wait_ready(self.size["converge_timeout"])
        want = self.count[table]["4"] + self.count[table]["6"]

        def loaded():
            out = feeder.birdc("show", "route", "count")
            return sum(int(n) for n in re.findall(r"^(\d+) of \d+ routes", out, re.M)) >= want
        wait_until(loaded, self.size["converge_timeout"], 0.5, f"the feeder loading {want} routes")
        return feeder

    # receivers

    def receiver_conf(self, kind, filtered, tag):
        imp4 = "filter transit_in_v4" if filtered else "all"
        imp6 = "filter transit_in_v6" if filtered else "all"
        text = f"router id {ADDR['bgp4']};\nprotocol device {{ scan time 10; }}\n"
        if kind == "bpfrouterd":
            text += """bpfrouter {
  interface "in0" { role upstream; };
  interface "out0" { role internal; };
  interface "bgp0" { mode off; };
  leave running off;
}
"""
            gateway = ""
        else:
            # BIRD resolves the sink as next hop through its connected route, as bpfrouterd does.
            text += 'protocol direct { ipv4; ipv6; interface "out0"; }\n'
            gateway = "gateway recursive; "
        if filtered:
            text += FILTERS
        text += f"""
protocol bgp feed4 {{
  local {ADDR['bgp4']} as {ROUTER_AS}; neighbor {ADDR['feed4']} as {FEED_AS};
  connect retry time 1; error wait time 1, 2;
  ipv4 {{ {gateway}import {imp4}; export none; }};
}}
protocol bgp feed6 {{
  local {ADDR['bgp6']} as {ROUTER_AS}; neighbor {ADDR['feed6']} as {FEED_AS};
  connect retry time 1; error wait time 1, 2;
  ipv6 {{ {gateway}import {imp6}; export none; }};
}}
protocol bgp churn {{
  local {ADDR['bgp4']} as {ROUTER_AS}; neighbor {ADDR['churn4']} as {CHURN_AS}; passive on;
  ipv4 {{ {gateway}import all; export none; }};
}}
"""
        conf = self.path(f"{tag}.conf")
        with open(conf, "w") as fh:
            fh.write(text)
        return conf

    def start_receiver(self, kind, filtered, tag):
        conf = self.receiver_conf(kind, filtered, tag)
        sock = self.path(f"{tag}.ctl")
        if kind == "bpfrouterd":
            daemon_bin = self.tool("userspace", "daemon", "bpfrouterd")
            run([daemon_bin, "-p", "-c", conf])
            pin = f"/sys/fs/bpf/{self.tag}-{tag}"
            self.pins.append(pin)
            argv = [daemon_bin, "-f", "-c", conf, "-s", sock, "--pin-root", pin]
        else:
            run(["bird", "-p", "-c", conf])
            pin, argv = None, ["bird", "-f", "-c", conf, "-s", sock]
        d = Daemon(f"{kind} ({tag})", argv, self.ns["dut"], sock, self.path(f"{tag}.log"))
        d.pin = pin
        self.daemons.append(d)
        d.wait_ready()
        if pin:
            d.own_routes = {f: self.map_entries(d, f) for f in ("4", "6")}
        return d

    def converge(self, feeder, receiver, table, exact):
        """Enables the feeder's sessions and times the receiver from the first Established to
        the end of its work: the feeder has sent every route and the receiver's CPU time has
        stood still for QUIET_S (it ends at the last tick that moved). Route counts are read
        only then (bpfrouterd: its route maps; BIRD: channel statistics), since counting a
        full table while it loads would cost the receiver more than the load. With exact, the
        counts must reach the table."""
        want = self.count[table]
        cpu_before = cpu_seconds(receiver.pid)
        feeder.birdc("enable", "to_dut4")
        feeder.birdc("enable", "to_dut6")
        deadline = time.monotonic() + self.size["converge_timeout"]
        wait_until(lambda: receiver.established("feed4", "feed6"), 60, 0.01,
                   f"{receiver.name}: sessions feed4 and feed6 Established")
        established_at, sent_at = time.monotonic(), None
        cpu_last, cpu_moved_at = cpu_before, time.monotonic()
        next_poll = 0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise BenchError(f"{receiver.name}: not converged in "
                                 f"{self.size['converge_timeout']} s; feeder sent everything: "
                                 f"{sent_at is not None}; established: "
                                 f"{established_at is not None}")
            if not receiver.alive():
                raise BenchError(f"{receiver.name} exited: {tail(receiver.logfile)}")
            cpu = cpu_seconds(receiver.pid)
            if cpu - cpu_last >= IDLE_CPU_S:
                cpu_last, cpu_moved_at = cpu, now
            if now >= next_poll:
                next_poll = now + 0.2
                if sent_at is None and \
                        feeder.exported("to_dut4") >= want["4"] and \
                        feeder.exported("to_dut6") >= want["6"]:
                    sent_at = now
            if sent_at is not None and now - cpu_moved_at >= QUIET_S:
                counts = self.imported(receiver)
                if not exact or (counts[0] >= want["4"] and counts[1] >= want["6"]):
                    break
                cpu_moved_at = now  # not all there yet: wait for the next quiet spell
            time.sleep(0.02)
        cpu = cpu_seconds(receiver.pid)
        return dict(seconds=max(0.0, cpu_moved_at - established_at), imported=sum(counts),
                    cpu=cpu, cpu_import=cpu - cpu_before, rss=peak_rss_mib(receiver.pid))

    def imported(self, receiver):
        """(IPv4, IPv6) routes the receiver holds from the feeder."""
        if receiver.pin:
            return tuple(self.map_entries(receiver, f) - receiver.own_routes[f]
                         for f in ("4", "6"))
        protos = receiver.protocols()
        return protos.get("feed4", (False, 0))[1], protos.get("feed6", (False, 0))[1]

    def stop_receiver(self, feeder, receiver):
        feeder.birdc("disable", "to_dut4")
        feeder.birdc("disable", "to_dut6")
        receiver.stop()
        self.daemons.remove(receiver)
        if receiver.pin:
            shutil.rmtree(receiver.pin, ignore_errors=True)

    def map_entries(self, receiver, family):
        out = run([self.tool("tools", "bench", "bpfr-benchtool"), "map-count", "--pin",
                   f"{receiver.pin}/routes_v{family}_v1"], timeout=300).stdout
        return json.loads(out)["entries"]

    # forwarding

    def forward(self, prefixes):
        tg = self.tool("tools", "trafficgen", "bpfr-trafficgen")
        secs = self.size["seconds"]
        sink = subprocess.Popen([tg, "receive", "--netns", self.ns["sink"], "--dev", "eth0",
                                 "--drop", "--stream", str(STREAM), "--duration",
                                 str(secs + 30), "--idle", "1", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: "xdp" in run(["ip", "-n", self.ns["sink"], "link", "show",
                                             "eth0"]).stdout, 10, 0.05, "the sink's XDP program")
            sent = json.loads(run([tg, "send", "--netns", self.ns["gen"], "--dev", "eth0",
                                   "--dst-mac", self.mac("dut", "in0"), "--src4", ADDR["gen4"],
                                   "--dst-file", prefixes, "--duration", str(secs), "--stream",
                                   str(STREAM), "--json"], timeout=secs + 120).stdout)
            out, err = sink.communicate(timeout=60)
        finally:
            if sink.poll() is None:
                sink.terminate()
                sink.wait(10)
        got = json.loads(out)
        return dict(sent_pps=sent["pps"], rx_pps=got["probes"] / sent["seconds"],
                    lost=got["lost"])

    def xdp_ns(self, receiver, prefixes, family):
        out = run([self.tool("tools", "bench", "bpfr-benchtool"), "xdp-ns", "--netns",
                   f"/run/netns/{self.ns['dut']}", "--link", f"{receiver.pin}/links/xdp_in0",
                   "--dev", "in0", "--prefixes", prefixes, "--family", family, "--samples",
                   str(self.size["samples"])], timeout=600).stdout
        return json.loads(out)

    def fwbench(self, prefixes):
        out = run([self.tool("tools", "trafficgen", "bpfr-fwbench"), "--prefixes", prefixes,
                   "--family", "4", "--duration", str(self.size["seconds"]), "--cases",
                   "redirect,kernel", "--json"], timeout=1800).stdout
        return {r["case"]: r["rx_pps"] for r in json.loads(out)}

    # UPDATE to map, churn

    def churn_session(self, receiver):
        sender = BgpSender(f"/run/netns/{self.ns['feed']}", ADDR["churn4"], ADDR["bgp4"], CHURN_AS,
                           ADDR["sink4"])
        wait_until(lambda: receiver.established("churn"), 30, 0.1,
                   "the churn session")
        return sender

    def update_latency(self, receiver, sender):
        routes = PinnedMap(f"{receiver.pin}/routes_v4_v1")
        samples = []
        try:
            for i in range(self.size["latency"]):
                prefix = f"100.{96 + i // 256}.{i % 256}.0/24"
                probe = f"100.{96 + i // 256}.{i % 256}.1"
                msg = sender.announce(prefix)
                start = time.perf_counter()
                sender.send(msg)
                deadline = start + 10
                while not routes.has(probe):
                    if time.perf_counter() > deadline:
                        raise BenchError(f"{prefix} not in routes_v4 after 10 s")
                samples.append(time.perf_counter() - start)
                sender.send(sender.withdraw(prefix))
                wait_until(lambda: not routes.has(probe), 10, 0.001, f"{prefix} withdrawn")
        finally:
            routes.close()
        samples.sort()
        pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
        return dict(p50_ms=pick(0.50), p99_ms=pick(0.99), samples=len(samples))

    def churn(self, receiver, sender):
        """Flaps K prefixes (announce all, withdraw all, ...) at the set rate, one prefix per
        UPDATE, then one marker: kept up when the backlog stays small and the marker lands
        soon after it is sent."""
        rate, secs = self.size["churn_rate"], self.size["churn_seconds"]
        k = max(100, min(8000, rate // 2))
        prefixes = [f"100.{64 + i // 256}.{i % 256}.0/24" for i in range(k)]
        messages, med = [], 0
        while len(messages) < rate * secs:
            med += 1
            messages += [sender.announce(p, med) for p in prefixes]
            messages += [sender.withdraw(p) for p in prefixes]
        messages = messages[:rate * secs]
        marker, marker_probe = "100.127.255.0/24", "100.127.255.1"
        routes = PinnedMap(f"{receiver.pin}/routes_v4_v1")
        tick, sent, max_backlog = 0.01, 0, 0
        cpu_before = cpu_seconds(receiver.pid)
        start = time.monotonic()
        try:
            while sent < len(messages):
                due = min(len(messages), int((time.monotonic() - start) * rate) + 1)
                if due > sent:
                    sender.send(b"".join(messages[sent:due]))
                    sent = due
                max_backlog = max(max_backlog, sender.outq())
                time.sleep(tick)
            send_seconds = time.monotonic() - start
            sender.send(sender.announce(marker))
            marker_sent = time.monotonic()
            wait_until(lambda: routes.has(marker_probe), 120, 0.001, "the churn marker")
            drain = time.monotonic() - marker_sent
        finally:
            routes.close()
        cpu = cpu_seconds(receiver.pid) - cpu_before
        elapsed = time.monotonic() - start
        avg_bytes = sum(len(m) for m in messages) / len(messages)
        return dict(updates=len(messages), rate=len(messages) / send_seconds, drain_s=drain,
                    backlog_updates=max_backlog / avg_bytes, cpu_share=cpu / elapsed)

    def map_update(self, prefixes):
        out = run([self.tool("tools", "bench", "bpfr-benchtool"), "map-update", "--prefixes",
                   prefixes], timeout=900).stdout
        return json.loads(out)

    def lookup_bench(self):
        out = run([self.tool("tools", "lookup-bench", "lookup-bench"), "--v4",
                   str(self.size["v4"]), "--v6", str(self.size["v6"])], timeout=1200).stdout
        found = {}
        for key, pattern in (("read", r"one random read.*?\s([\d.]+)\s+[\d.]+$"),
                             ("fast4", r"IPv4 fast table.*?\s([\d.]+)\s+[\d.]+$"),
                             ("trie4", r"IPv4 LPM trie\s+([\d.]+)"),
                             ("fast6", r"IPv6 fast table.*?\s([\d.]+)\s+[\d.]+$"),
                             ("trie6", r"IPv6 LPM trie\s+([\d.]+)")):
            m = re.search(pattern, out, re.M)
            found[key] = float(m.group(1)) if m else None
        m = re.search(r"fast tables: (\d+) MiB.*loaded in ([\d.]+) s; tries loaded in ([\d.]+) s",
                      out)
        if m:
            found.update(table_mib=int(m.group(1)), table_load_s=float(m.group(2)),
                         trie_load_s=float(m.group(3)))
        return found

    # phases

    def phase_small(self):
        s = self.count["small"]
        log(f"small table: feeder with {s['4']} + {s['6']} routes, bpfrouterd")
        feeder = self.start_feeder("small")
        rx = self.start_receiver("bpfrouterd", False, "bpfrouterd-small")
        self.converge(feeder, rx, "small", True)
        self.results["fwd_small"] = self.forward(self.path("small4.txt"))
        log(f"small table: bpfrouterd forwards {self.results['fwd_small']['rx_pps']:.0f} pps")
        self.results["xdp_small4"] = self.xdp_ns(rx, self.path("small4.txt"), "4")
        self.results["xdp_small6"] = self.xdp_ns(rx, self.path("small6.txt"), "6")
        self.stop_receiver(feeder, rx)
        feeder.stop()
        self.daemons.remove(feeder)

    def phase_full(self):
        f = self.count["feed"]
        log(f"full table: feeder loading {f['4']} + {f['6']} routes")
        feeder = self.start_feeder("feed")

        log("convergence: bpfrouterd")
        rx = self.start_receiver("bpfrouterd", False, "bpfrouterd-full")
        conv = self.converge(feeder, rx, "feed", True)
        conv["map_mib"], conv["maps"] = bpf_map_memory_mib(rx.pid)
        self.results["conv_bpfrouterd"] = conv
        log(f"convergence: bpfrouterd {conv['seconds']:.1f} s, {conv['cpu']:.1f} CPU s")

        self.results["fwd_full"] = self.forward(self.path("feed4.txt"))
        log(f"full table: bpfrouterd forwards {self.results['fwd_full']['rx_pps']:.0f} pps")
        self.results["xdp_full4"] = self.xdp_ns(rx, self.path("feed4.txt"), "4")
        self.results["xdp_full6"] = self.xdp_ns(rx, self.path("feed6.txt"), "6")

        log("UPDATE to map latency and churn")
        sender = self.churn_session(rx)
        try:
            self.results["latency"] = self.update_latency(rx, sender)
            self.results["churn"] = self.churn(rx, sender)
        finally:
            sender.close()
        self.results["rss_bpfrouterd_end"] = peak_rss_mib(rx.pid)
        self.stop_receiver(feeder, rx)

        log("convergence: BIRD 2")
        rx = self.start_receiver("bird", False, "bird-full")
        self.results["conv_bird"] = self.converge(feeder, rx, "feed", True)
        self.stop_receiver(feeder, rx)

        for kind in ("bpfrouterd", "bird"):
            log(f"filter CPU: {kind}")
            rx = self.start_receiver(kind, True, f"{kind}-filter")
            self.results[f"filter_{kind}"] = self.converge(feeder, rx, "feed", False)
            self.stop_receiver(feeder, rx)
        feeder.stop()
        self.daemons.remove(feeder)

    def phase_references(self):
        log("kernel forwarding and bare redirect (bpfr-fwbench), full and small table")
        self.results["ref_full"] = self.fwbench(self.path("feed4.txt"))
        self.results["ref_small"] = self.fwbench(self.path("small4.txt"))
        log("map update throughput")
        self.results["map_update"] = self.map_update(self.path("feed4.txt"))
        if not self.args.no_lookup:
            log("lookup-bench")
            self.results["lookup"] = self.lookup_bench()

    def run(self):
        self.make_tables()
        self.up()
        self.phase_small()
        self.phase_full()
        self.phase_references()
        self.results["seconds"] = time.monotonic() - self.started
        self.results["size"] = dict(self.size, name=self.args.size, tables=self.count)


# --- the table -------------------------------------------------------------------------------

def ratio(a, b):
    return a / b if a is not None and b else None


def times(a, b, unit="x"):
    r = ratio(a, b)
    return "-" if r is None else f"{r:.2f}{unit}"


def met(ok):
    return "met" if ok else "MISSED"


def report(r, size):
    rows = []

    def row(what, value, unit="", compare="", target=""):
        rows.append((what, value, unit, compare, target))

    c = size["tables"]
    full = f"{c['feed']['4']:,} + {c['feed']['6']:,}"
    small = f"{c['small']['4']:,} + {c['small']['6']:,}"
    kf, rf = r["ref_full"]["kernel"], r["ref_full"]["redirect"]
    ks, rs = r["ref_small"]["kernel"], r["ref_small"]["redirect"]
    bf, bs = r["fwd_full"]["rx_pps"], r["fwd_small"]["rx_pps"]
    row(f"forwarding, {c['feed']['4']:,} IPv4 prefixes: kernel", kf / 1e6, "Mpps")
    row("  bare XDP redirect (ceiling)", rf / 1e6, "Mpps")
    row("  bpfrouterd", bf / 1e6, "Mpps", f"{times(bf, kf)} kernel, {times(bf, rf, '')} of "
        f"redirect (offered {r['fwd_full']['sent_pps'] / 1e6:.2f})",
        ">= 3x kernel and >= 0.5 redirect: " +
        met((ratio(bf, kf) or 0) >= 3 and (ratio(bf, rf) or 0) >= 0.5))
    row(f"forwarding, {c['small']['4']:,} IPv4 prefixes: kernel", ks / 1e6, "Mpps")
    row("  bare XDP redirect (ceiling)", rs / 1e6, "Mpps")
    row("  bpfrouterd", bs / 1e6, "Mpps", f"{times(bs, ks)} kernel, {times(bs, rs, '')} of "
        f"redirect (offered {r['fwd_small']['sent_pps'] / 1e6:.2f})",
        ">= 0.85 redirect: " + met((ratio(bs, rs) or 0) >= 0.85))
    for key, what in (("xdp_full4", f"xdp_router per packet, IPv4, {full}"),
                      ("xdp_full6", f"xdp_router per packet, IPv6, {full}"),
                      ("xdp_small4", f"xdp_router per packet, IPv4, {small}"),
                      ("xdp_small6", f"xdp_router per packet, IPv6, {small}")):
        x = r[key]
        verdicts = ", ".join(f"{k} {v / x['samples']:.0%}"
                             for k, v in sorted(x["verdicts"].items()))
        row(what, x["net_ns"], "ns", f"net of an empty program ({x['empty_ns']:.0f} ns); "
            f"{verdicts}")

    cb, cr = r["conv_bpfrouterd"], r["conv_bird"]
    row(f"convergence, {full}: bpfrouterd", cb["seconds"], "s",
        f"{times(cb['seconds'], cr['seconds'])} BIRD, into the route maps",
        "no slower than BIRD: " + met(cb["seconds"] <= cr["seconds"]))
    row("  BIRD 2 (RIB only, no kernel export)", cr["seconds"], "s")
    row("  CPU: bpfrouterd (whole process)", cb["cpu"], "s", f"{times(cb['cpu'], cr['cpu'])} "
        "BIRD", "less than BIRD: " + met(cb["cpu"] < cr["cpu"]))
    row("  CPU: BIRD 2", cr["cpu"], "s")
    row("  peak RSS: bpfrouterd", cb["rss"], "MiB", f"{times(cb['rss'], cr['rss'])} BIRD",
        "less than BIRD: " + met(cb["rss"] < cr["rss"]))
    row("  peak RSS: BIRD 2", cr["rss"], "MiB")
    row("  bpfrouterd BPF maps (memlock)", cb["map_mib"], "MiB", f"{cb['maps']} maps, "
        "not in RSS")
    lat = r["latency"]
    row("UPDATE to routes_v4 entry, p50", lat["p50_ms"], "ms", f"{lat['samples']} samples")
    row("UPDATE to routes_v4 entry, p99", lat["p99_ms"], "ms")
    ch = r["churn"]
    row(f"churn: {ch['updates']:,} one-prefix UPDATEs", ch["rate"], "upd/s",
        f"backlog at most {ch['backlog_updates']:.0f} updates; last one in the map "
        f"{ch['drain_s'] * 1000:.0f} ms after it was sent; bpfrouterd CPU {ch['cpu_share']:.0%}",
        f">= {size['churn_rate']:,}/s kept up: " +
        met(ch["rate"] >= 0.95 * size["churn_rate"] and ch["drain_s"] < 1))
    mu = r["map_update"]
    row(f"LPM trie inserts, {mu['entries']:,} IPv4, one syscall each", mu["single_per_s"] / 1e6,
        "M/s")
    row("  in batches of 8192 (BPF_MAP_UPDATE_BATCH)",
        mu["batch_per_s"] / 1e6 if mu["batch_per_s"] else None, "M/s",
        f"not supported: {mu['batch_error']}" if mu["batch_error"] else
        f"{times(mu['batch_per_s'], mu['single_per_s'])} one by one")
    fb, fr = r["filter_bpfrouterd"], r["filter_bird"]
    row(f"filter CPU, {full} through a transit filter: bpfrouterd", fb["cpu_import"], "s",
        f"{times(fb['cpu_import'], fr['cpu_import'])} BIRD; {fb['imported']:,} accepted",
        "not higher than BIRD: " + met(fb["cpu_import"] <= fr["cpu_import"]))
    row("  BIRD 2", fr["cpu_import"], "s", f"{fr['imported']:,} accepted")
    lk = r.get("lookup")
    if lk and lk.get("read"):
        row("lookup, one random read in 64 MiB (lookup-bench)", lk["read"], "ns")
        for key, what, target in (("fast4", "  IPv4 fast table", 2), ("trie4", "  IPv4 LPM trie",
                                                                       None),
                                  ("fast6", "  IPv6 fast table", 4), ("trie6", "  IPv6 LPM trie",
                                                                       None)):
            v = lk.get(key)
            row(what, v, "ns", f"{times(v, lk['read'])} one read",
                f"<= {target}x: " + met(v is not None and v / lk["read"] <= target)
                if target else "")
        if "table_mib" in lk:
            row("  fast tables' memory", lk["table_mib"], "MiB",
                f"loaded in {lk['table_load_s']:.2f} s; the LPM tries in "
                f"{lk['trie_load_s']:.2f} s")

    width = max(len(w) for w, *_ in rows)
    lines = [f"{'what':<{width}}  {'value':>10} {'':<6}  compared, target"]
    for what, value, unit, compare, target in rows:
        v = "-" if value is None else (f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}")
        extra = "; ".join(x for x in (compare, target) if x)
        lines.append(f"{what:<{width}}  {v:>10} {unit:<6}  {extra}")
    return "\n".join(lines)


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), kernel {os.uname().release}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--size", choices=SIZES, default="quick")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    ap.add_argument("--json", help="also write every figure here as JSON")
    ap.add_argument("--keep", action="store_true", help="keep logs, configs and tables")
    ap.add_argument("--workdir", help="make the run's folder of logs and tables in here")
    ap.add_argument("--no-lookup", action="store_true", help="skip lookup-bench")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (namespaces, BPF)")

    size = SIZES[args.size]
    bench = Bench(args, size)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)
    try:
        bench.run()
    except (BenchError, subprocess.TimeoutExpired, KeyboardInterrupt) as e:
        log(f"failed: {e}")
        bench.args.keep = True
        bench.down()
        return 1
    bench.down()
    r = bench.results
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"bpfrouter benchmarks, {args.size} size, {when}, {machine()}, "
          f"{r['seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(results=r, date=when, machine=machine()), fh, indent=1)
    print(report(r, r["size"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
