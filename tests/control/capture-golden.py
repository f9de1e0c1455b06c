#!/usr/bin/env python3
"""Captures raw control-socket replies from a running BIRD 2 for the golden files.

Usage: capture-golden.py SOCKET OUTDIR NAME=COMMAND...  (capture-golden.sh runs it)
Each NAME.wire holds the bytes BIRD sent for COMMAND, after the greeting, up to and including
the final line (four digits and a space).
"""
import re
import socket
import sys

FINAL = re.compile(rb"^\d{4} ")


def read_reply(sock, buf):
    out = b""
    while True:
        while b"\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("connection closed mid-reply")
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        out += line + b"\n"
        if FINAL.match(line):
            return out, buf


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    greeting, buf = read_reply(sock, b"")
    with open(f"{outdir}/greeting.wire", "wb") as f:
        f.write(greeting)
    for spec in sys.argv[3:]:
        name, command = spec.split("=", 1)
        sock.sendall(command.encode() + b"\n")
        reply, buf = read_reply(sock, buf)
        with open(f"{outdir}/{name}.wire", "wb") as f:
            f.write(reply)


main()
