#!/usr/bin/env bash
# Makes the host ready for the data plane and the lab: bpffs mounted, packaged daemons that
# would hold port 179 stopped. Idempotent.
set -euo pipefail

if ! mountpoint -q /sys/fs/bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf
fi

for svc in bird gobgpd; do
	systemctl stop "$svc" >/dev/null 2>&1 || true
done
mkdir -p /run/bpfrouter
