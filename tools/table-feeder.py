#!/usr/bin/env python3
"""Turns the real routing data in shared/data into routes a BIRD 2 can announce.

BIRD cannot read MRT, so this writes a BIRD include with one `protocol static` per family whose
routes carry their AS paths (`bgp_path.prepend(...)` in each route's block), and a plain prefix
list for the traffic generator and the benchmarks.

Tables:
  lab (default)  IPv4: the 2014 RouteViews route-views.jinx RIB, the view of the peer with the
                 most prefixes (about 497,000), with its real AS paths (read with bgpdump).
                 IPv6: the prefixes of the ISP table (about 160,000), AS paths made up.
  full           the ISP table: about 902,000 IPv4 and 160,000 IPv6 prefixes, topped up with
                 synthetic prefixes of the same length mix to --v4-total and --v6-total
                 (1,000,000 and 230,000). Real paths where RouteViews has the prefix.

Made-up paths are deterministic: lengths follow the RouteViews path lengths, AS numbers come
from the ASes seen there. AS_SET segments are dropped (BIRD cannot prepend a set), and so are
the lab's own AS numbers, so no route looks like a loop.

Data credits: University of Oregon RouteViews (route-views.jinx); the ISP table as published
in the test data of a public repository (see shared/data/README.md).

Examples:
  tools/table-feeder.py --limit 1000 --via4 10.0.0.1 --via6 fd00::1 --bird feed.conf
  tools/table-feeder.py --table full --prefixes full.txt
"""

import argparse
import bz2
import collections
import gzip
import hashlib
import ipaddress
import os
import random
import socket
import subprocess
import sys
import time

DATA = os.environ.get("BPFR_DATA_DIR", os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                                  "..", "..", "shared", "data"))
RIB = "mrt/routeviews-jinx-rib-2014-05-30.bz2"
ISP = "prefixlists/isp-full-table-v4-v6.txt.gz"
AVOID_AS = {64515, 65535}  # the guide's transit and the guide's own AS

# Synthetic prefixes never land here: special-purpose space (RFC 6890) and the lab's addresses.
RESERVED_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")]
RESERVED_V6 = [ipaddress.ip_network(n) for n in ("2001:db8::/32", "2002::/16", "2001::/23")]


def log(msg):
    print(f"table-feeder: {msg}", file=sys.stderr, flush=True)


def cache_dir():
    d = os.environ.get("BPFR_CACHE_DIR", "/var/tmp/bpfrouter-table-feeder")
    os.makedirs(d, exist_ok=True)
    return d


def read_rib(path):
    """Returns {prefix: "asn asn ..."} of the RIB peer with the most IPv4 prefixes.

    bgpdump is slow on this file, so its result is cached, keyed by the source's size and mtime,
    with the paths already cleaned.
    """
    st = os.stat(path)
    key = hashlib.sha1(f"{path}|{st.st_size}|{st.st_mtime}|v2".encode()).hexdigest()[:16]
    cached = os.path.join(cache_dir(), f"rib-{key}.txt.gz")
    if not os.path.exists(cached):
        log(f"reading {path} with bgpdump (cached afterwards in {cached})")
        out = subprocess.run(["bgpdump", "-m", path], check=True, capture_output=True,
                             text=True).stdout
        by_peer = collections.defaultdict(list)
        for line in out.splitlines():
            f = line.split("|")
            if len(f) < 7 or f[0] != "TABLE_DUMP2":
                continue
            by_peer[f[3]].append(f"{f[5]}|{clean_path(f[6])}")
        best = max(by_peer, key=lambda p: len(by_peer[p]))
        tmp = cached + f".tmp{os.getpid()}"
        with gzip.open(tmp, "wt", compresslevel=1) as fh:
            fh.write(f"# peer {best}\n")
            fh.write("\n".join(by_peer[best]))
            fh.write("\n")
        os.replace(tmp, cached)
    routes = {}
    with gzip.open(cached, "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                prefix, _, path = line.rstrip("\n").partition("|")
                routes[prefix] = path
    return routes


def clean_path(text):
    """AS path text from bgpdump -> "asn asn ...": sets dropped, the lab's ASes removed."""
    return " ".join(t for t in text.split()
                    if t.isdigit() and int(t) not in AVOID_AS)


def read_isp(path):
    v4, v6 = [], []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            p = line.strip()
            if p and not p.startswith("#"):
                (v6 if ":" in p else v4).append(p)
    return v4, v6


def made_up_paths(real_paths, count, seed):
    """`count` made-up AS paths shaped like the real ones: same length mix, real AS numbers."""
    rng = random.Random(seed)
    sample = [p.split() for p in real_paths[::10] if p]
    lengths = collections.Counter(len(p) for p in sample) or collections.Counter({3: 1})
    asns = collections.Counter(a for p in sample for a in p) or collections.Counter({"64496": 1})
    transit = [a for a, _ in asns.most_common(50)]
    origins = list(asns.keys())

    lens = rng.choices(list(lengths.keys()), list(lengths.values()), k=count)
    hops = iter(rng.choices(transit, k=sum(lens)))
    ends = rng.choices(origins, k=count)
    paths = []
    for n, origin in zip(lens, ends):
        path = [next(hops) for _ in range(n - 1)] + [origin]
        # No AS twice in a row from the draw (prepending is real, but not by accident).
        paths.append(" ".join(a for i, a in enumerate(path) if i == 0 or a != path[i - 1]))
    return paths


def top_up(prefixes, total, family, seed):
    """Adds random prefixes with the same length mix until there are `total`."""
    if len(prefixes) >= total:
        return prefixes
    rng = random.Random(seed)
    bits, af = (32, socket.AF_INET) if family == 4 else (128, socket.AF_INET6)
    reserved = [(int(r.network_address) >> (bits - r.prefixlen), r.prefixlen)
                for r in (RESERVED_V4 if family == 4 else RESERVED_V6)]
    lengths = collections.Counter(int(p.rsplit("/", 1)[1]) for p in prefixes)
    seen = set(prefixes)
    out = list(prefixes)
    while len(out) < total:
        for plen in rng.choices(list(lengths.keys()), list(lengths.values()), k=total - len(out)):
            if family == 4:
                addr = rng.getrandbits(32)
            else:
                addr = (0x1 << 125) | rng.getrandbits(125)  # 2000::/3, where unicast is given out
            addr = addr >> (bits - plen) << (bits - plen)
            if any(plen >= rlen and addr >> (bits - rlen) == rnet for rnet, rlen in reserved):
                continue
            text = f"{socket.inet_ntop(af, addr.to_bytes(bits // 8, 'big'))}/{plen}"
            if text not in seen:
                seen.add(text)
                out.append(text)
    return out


def evenly(items, limit):
    """`limit` items spread over the whole list, so a slice keeps the table's mix."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def write_bird(out, name, family, routes, via):
    """One static protocol; each route's block prepends its path, origin AS first."""
    target = "blackhole" if via == "blackhole" else f"via {via}"
    bodies = {}

    def body(path):
        b = bodies.get(path)
        if b is None:
            b = bodies[path] = " ".join(f"bgp_path.prepend({a});" for a in reversed(path.split()))
        return b

    out.write(f"protocol static {name} {{\n  ipv{family};\n")
    out.writelines(f"  route {p} {target} {{ {body(path)} }};\n" for p, path in routes)
    out.write("}\n\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--table", choices=["lab", "full"], default="lab")
    ap.add_argument("--family", choices=["4", "6", "both"], default="both")
    ap.add_argument("--limit", type=int, default=0, help="at most N prefixes of each family")
    ap.add_argument("--v4-total", type=int, default=1_000_000, help="full table: IPv4 size")
    ap.add_argument("--v6-total", type=int, default=230_000, help="full table: IPv6 size")
    ap.add_argument("--via4", default="blackhole", help="IPv4 next hop of the static routes")
    ap.add_argument("--via6", default="blackhole", help="IPv6 next hop of the static routes")
    ap.add_argument("--name", default="feed", help="protocol names: NAME4 and NAME6")
    ap.add_argument("--bird", help="write the BIRD include here")
    ap.add_argument("--prefixes", help="write the plain prefix list here (IPv4, then IPv6)")
    ap.add_argument("--data", default=DATA, help="the shared data folder")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not args.bird and not args.prefixes:
        ap.error("nothing to write: give --bird and/or --prefixes")

    start = time.monotonic()
    rib = read_rib(os.path.join(args.data, RIB))
    rib.pop("0.0.0.0/0", None)
    rib.pop("::/0", None)
    want4, want6 = args.family in ("4", "both"), args.family in ("6", "both")

    isp4, isp6 = read_isp(os.path.join(args.data, ISP)) if (want6 or args.table == "full") \
        else ([], [])
    if args.table == "lab":
        v4 = [p for p in rib if ":" not in p]
        v6 = isp6
    else:
        v4 = top_up(isp4, args.v4_total, 4, args.seed) if want4 else []
        v6 = top_up(isp6, args.v6_total, 6, args.seed + 1) if want6 else []
    v4 = evenly(v4, args.limit) if want4 else []
    v6 = evenly(v6, args.limit) if want6 else []

    made_up = iter(made_up_paths(list(rib.values()), sum(not rib.get(p) for p in v4 + v6),
                                 args.seed))
    routes4 = [(p, rib.get(p) or next(made_up)) for p in v4]
    routes6 = [(p, rib.get(p) or next(made_up)) for p in v6]

    if args.bird:
        with open(args.bird + ".tmp", "w") as out:
            out.write(f"# table-feeder: {args.table} table, {len(routes4)} IPv4 and "
                      f"{len(routes6)} IPv6 routes.\n# IPv4 data: University of Oregon "
                      f"RouteViews (route-views.jinx, 2014-05-30).\n\n")
            if routes4:
                write_bird(out, args.name + "4", 4, routes4, args.via4)
            if routes6:
                write_bird(out, args.name + "6", 6, routes6, args.via6)
        os.replace(args.bird + ".tmp", args.bird)
    if args.prefixes:
        with open(args.prefixes + ".tmp", "w") as out:
            out.write("\n".join(v4 + v6))
            out.write("\n")
        os.replace(args.prefixes + ".tmp", args.prefixes)
    log(f"{args.table} table: {len(routes4)} IPv4, {len(routes6)} IPv6 routes in "
        f"{time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
