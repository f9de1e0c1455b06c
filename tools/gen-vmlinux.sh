#!/usr/bin/env bash
# Regenerates vmlinux/vmlinux.h from the running kernel's BTF (CO-RE makes it portable).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
btf=${1:-/sys/kernel/btf/vmlinux}
bpftool btf dump file "$btf" format c > "$top/vmlinux/vmlinux.h.new"
mv "$top/vmlinux/vmlinux.h.new" "$top/vmlinux/vmlinux.h"
echo "gen-vmlinux: wrote vmlinux/vmlinux.h from $btf ($(uname -r))"
