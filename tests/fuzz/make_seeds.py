#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz harnesses from the unit tests' vectors and ../shared/data.

  make_seeds.py OUT_DIR            the committed corpora (small): OUT_DIR/<target>/
  make_seeds.py --bulk OUT_DIR     adds thousands of BGP messages from the MRT files, for long runs

Sources: hex fixtures and string literals of tests/bgp, tests/config and tests/control; the
configurations in tests/config/data and tests/control/golden (includes inlined); the guide's
bird.conf; control replies recorded from BIRD (tests/control/golden/*.wire); BGP messages of the
captures in ../shared/data/pcap (through tshark) and of the MRT update dumps in
../shared/data/mrt. Seed names say where each came from.
"""
import argparse
import gzip
import hashlib
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BPFR_SHARED_DIR", TOP.parent / "shared"))
MARKER = b"\xff" * 16


class Corpus:
    """Seeds of one target, deduplicated by content."""

    def __init__(self, out: Path, target: str):
        self.dir = out / target
        self.dir.mkdir(parents=True, exist_ok=True)
        self.seen = set()
        self.count = 0

    def add(self, origin: str, data: bytes) -> None:
        digest = hashlib.sha1(data).hexdigest()
        if digest in self.seen or not data:
            return
        self.seen.add(digest)
        (self.dir / f"{origin}-{digest[:12]}").write_bytes(data)
        self.count += 1


# ---- C++ string literals ---------------------------------------------------------------------

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "0": "\0", "r": "\r"}


def unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), s)


def literals(path: Path):
    """Each string literal of a source file, adjacent literals joined as the compiler does."""
    text = path.read_text(errors="replace")
    text = re.sub(r"//[^\n]*", "", text)
    out, pending, end = [], None, -1
    for m in LITERAL.finditer(text):
        if m.start() < 1 or text[m.start() - 1] == "'" or text[m.start() - 1] == "R":
            continue
        value = unescape(m.group(1))
        if pending is not None and text[end:m.start()].strip() == "":
            pending += value
        else:
            if pending is not None:
                out.append(pending)
            pending = value
        end = m.end()
    if pending is not None:
        out.append(pending)
    return out


# ---- BGP messages ----------------------------------------------------------------------------

def bgp_message(msg_type: int, body: bytes) -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), msg_type) + body


def split_messages(stream: bytes):
    """Whole messages found in a TCP payload (markers and lengths as the header says)."""
    at = stream.find(MARKER)
    while at >= 0 and at + 19 <= len(stream):
        length = struct.unpack("!H", stream[at + 16:at + 18])[0]
        if length < 19 or at + length > len(stream):
            break
        yield stream[at:at + length]
        at = stream.find(MARKER, at + length)


def unit_bgp(corpus: Corpus) -> None:
    """Hex fixtures of tests/bgp: whole messages as they are; other hex as UPDATE attributes,
    as a body after a bare length, and as the body of an OPEN (version 4 first) or UPDATE."""
    for src in sorted((TOP / "tests/bgp").glob("*.cpp")):
        for lit in literals(src):
            digits = re.sub(r"\s", "", lit)
            if len(digits) < 2 or len(digits) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                continue
            raw = bytes.fromhex(digits)
            if raw.startswith(MARKER):
                corpus.add("unit", raw)
                continue
            attrs = struct.pack("!HH", 0, len(raw)) + raw
            corpus.add("unit", bgp_message(2, attrs))
            corpus.add("unit", MARKER + struct.pack("!H", 19 + len(raw)) + raw)
            corpus.add("unit", bgp_message(1 if raw[0] == 4 else 2, raw))


def pcap_bgp(corpus: Corpus) -> None:
    """BGP messages of every capture, through tshark; port 1179 is BGP in three of them."""
    captures = sorted(p for p in (SHARED / "data/pcap").rglob("*") if p.is_file()
                      and p.suffix != ".txt")
    for cap in captures:
        try:
            out = subprocess.run(["tshark", "-r", str(cap), "-d", "tcp.port==1179,bgp",
                                  "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.payload"],
                                 capture_output=True, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"make_seeds: tshark on {cap}: {e}", file=sys.stderr)
            continue
        name = re.sub(r"[^A-Za-z0-9]+", "_", cap.stem)[:40]
        for line in out.split():
            payload = bytes.fromhex(line.replace(":", ""))
            msgs = list(split_messages(payload))
            for m in msgs:
                corpus.add(f"pcap-{name}", m)
            if len(msgs) > 1:  # a receive buffer holding several messages
                corpus.add(f"pcap-{name}", b"".join(msgs))


def mrt_messages(path: Path):
    """BGP messages of BGP4MP / BGP4MP_ET MESSAGE records (RFC 6396 4.4)."""
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    at = 0
    while at + 12 <= len(data):
        _, rtype, subtype, length = struct.unpack("!IHHI", data[at:at + 12])
        body = data[at + 12:at + 12 + length]
        at += 12 + length
        if rtype == 17:
            body = body[4:]
        if rtype not in (16, 17) or subtype not in (1, 4, 6, 7) or len(body) < 8:
            continue
        asw = 4 if subtype in (4, 7) else 2
        afi = struct.unpack("!H", body[2 * asw + 2:2 * asw + 4])[0]
        ipw = 4 if afi == 1 else 16
        yield body[2 * asw + 4 + 2 * ipw:]


def shape(msg: bytes):
    """What makes an UPDATE interesting: its attribute type codes and which fields are used."""
    if len(msg) < 23 or msg[18] != 2:
        return (msg[18:19], len(msg) > 19)
    wlen = struct.unpack("!H", msg[19:21])[0]
    at = 21 + wlen
    if at + 2 > len(msg):
        return ("bad",)
    alen = struct.unpack("!H", msg[at:at + 2])[0]
    types, p, end = [], at + 2, at + 2 + alen
    while p + 3 <= min(end, len(msg)):
        flags, t = msg[p], msg[p + 1]
        ext = flags & 0x10
        vlen = struct.unpack("!H", msg[p + 2:p + 4])[0] if ext else msg[p + 2]
        types.append(t)
        p += (4 if ext else 3) + vlen
    return (wlen > 0, end < len(msg), tuple(sorted(set(types))))


def mrt_bgp(corpus: Corpus, per_shape: int, limit: int) -> None:
    for path in sorted((SHARED / "data/mrt").glob("*updates*")) + \
            sorted((SHARED / "data/mrt").glob("*session*")):
        kept, shapes = 0, {}
        name = path.name.split("-")[0]
        for msg in mrt_messages(path):
            key = shape(msg)
            if shapes.get(key, 0) >= per_shape:
                continue
            shapes[key] = shapes.get(key, 0) + 1
            corpus.add(f"mrt-{name}", msg)
            kept += 1
            if kept >= limit:
                break


# ---- configurations and filters -------------------------------------------------------------

INCLUDE = re.compile(r'^\s*include\s+"([^"]*)"\s*;', re.M)


def inline_includes(path: Path, depth: int = 0) -> str:
    """The file with each `include "F";` replaced by F's text (the harness skips includes)."""
    text = path.read_text(errors="replace")
    if depth > 4:
        return INCLUDE.sub("", text)

    def expand(m):
        inc = (path.parent / m.group(1)).resolve()
        if inc.is_file() and inc != path.resolve():
            return inline_includes(inc, depth + 1)
        return ""
    return INCLUDE.sub(expand, text)


def config_files():
    files = sorted((TOP / "tests/config/data").rglob("*.conf"))
    files += sorted((TOP / "tests/control/golden").glob("*.conf"))
    files += sorted(p for p in (TOP / "tests").rglob("*.conf") if p not in files)
    return files


def guide_blocks():
    guide = SHARED / "seed/how-to-build-your-own-isp.md"
    if not guide.exists():
        return []
    blocks = re.findall(r"```text\n(.*?)```", guide.read_text(), re.S)
    return [b for b in blocks if "protocol" in b]


def top_level_blocks(text: str):
    """`define ...;`, `function ... { }` and `filter ... { }` at the top level of a config."""
    text = re.sub(r"#[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    out, i = [], 0
    for m in re.finditer(r"^(define|function|filter)\b", text, re.M):
        if m.start() < i:
            continue
        if m.group(1) == "define":
            end = text.find(";", m.start())
            if end < 0:
                break
            out.append((m.group(1), text[m.start():end + 1]))
            i = end + 1
            continue
        depth, j, opened = 0, m.start(), False
        while j < len(text):
            if text[j] == "{":
                depth, opened = depth + 1, True
            elif text[j] == "}":
                depth -= 1
                if opened and depth == 0:
                    break
            j += 1
        out.append((m.group(1), text[m.start():j + 1]))
        i = j + 1
    return out


def config_seeds(config: Corpus, filt: Corpus) -> None:
    for path in config_files():
        text = inline_includes(path)
        config.add(f"conf-{path.stem}"[:40], text.encode())
        blocks = top_level_blocks(text)
        prelude = "\n".join(b for kind, b in blocks if kind != "filter")
        for kind, block in blocks:
            if kind == "filter":
                filt.add(f"conf-{path.stem}"[:40], (prelude + "\n" + block + "\n").encode())
    for block in guide_blocks():
        config.add("guide", block.encode())

    # Texts the config unit tests parse and the filters their table rows run.
    for src in sorted((TOP / "tests/config").glob("*.cpp")):
        for lit in literals(src):
            if re.search(r"\bprotocol\b", lit) and len(lit) > 20:
                config.add("unit", lit.encode())
            if re.match(r"\s*(\{|where\b|define\b|function\b|filter\b)", lit):
                filt.add("unit", lit.encode())


# ---- control protocol ------------------------------------------------------------------------

EXTRA_REQUESTS = [
    "show status", "show protocols all", "show route for 192.0.2.1 all",
    "show route 2001:db8::/32 count", "show route protocol upstream1 all",
    "show route table master6", "json show protocols", "show interfaces summary",
    "enable upstream1", "restart \"up stream\"", "configure check", "restrict\ndisable x",
    "sh ro fo 10.0.0.0/8\nsh p a\nre in upstream1\nconf",
]


def control_seeds(req: Corpus, rep: Corpus) -> None:
    for src in sorted((TOP / "tests/control").glob("*_test.cpp")):
        for lit in literals(src):
            words = lit.split()
            if words and len(lit) < 200 and re.fullmatch(r"(json|sh|show|en|enable|dis|disable|"
                                                         r"re|restart|reload|rel|conf|configure|"
                                                         r"down|restrict|js|foo)\w*", words[0]):
                req.add("unit", lit.encode())
    for r in EXTRA_REQUESTS:
        req.add("extra", r.encode())
    for wire in sorted((TOP / "tests/control/golden").glob("*.wire")):
        rep.add(f"bird-{wire.stem}"[:40], wire.read_bytes())
    for src in sorted((TOP / "tests/control").glob("protocol_test.cpp")):
        for lit in literals(src):
            if re.match(r"\d{4}[ -]", lit):
                rep.add("unit", lit.encode())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--bulk", action="store_true", help="thousands of MRT messages, for long runs")
    args = ap.parse_args()

    targets = ["bgp_message", "config_parser", "filter", "control_request", "control_reply"]
    c = {t: Corpus(args.out, t) for t in targets}
    unit_bgp(c["bgp_message"])
    pcap_bgp(c["bgp_message"])
    if args.bulk:
        mrt_bgp(c["bgp_message"], per_shape=50, limit=20000)
    else:
        mrt_bgp(c["bgp_message"], per_shape=1, limit=60)
    config_seeds(c["config_parser"], c["filter"])
    control_seeds(c["control_request"], c["control_reply"])
    for t in targets:
        print(f"make_seeds: {t}: {c[t].count} seeds in {c[t].dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
