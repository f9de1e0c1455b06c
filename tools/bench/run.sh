#!/usr/bin/env bash
# bpfrouter's benchmarks: forwarding, convergence, churn, filter CPU and lookups, every case in
# one run, printed as one table of figures and ratios (tools/bench/bench.py says what each is).
#
# Usage: tools/bench/run.sh [--quick | --full | --smoke] [--build DIR] [--json FILE] [--keep]
#                           [--workdir DIR]
#   --quick   50,000 IPv4 + 12,000 IPv6 prefixes, 3 s per forwarding case (default; a few minutes)
#   --full    1,000,000 + 230,000 prefixes (the issue's full table), 5 s per case (10-15 minutes)
#   --smoke   2,000 + 500 prefixes, 1 s per case: the CI smoke (tests/bench)
#   --build   the build directory with bpfrouterd and the tools (default: build/)
#   --json    also write every figure to FILE
#   --keep    keep configurations, logs and tables (kept anyway when a run fails)
#   --workdir make the run's folder of those in DIR (default: /tmp)
# Runs as root; makes its own namespaces (bpfrbPID-*) and pins, and removes them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick | --full | --smoke) args+=(--size "${1#--}"); shift ;;
	*) args+=("$1"); shift ;;
	esac
done
exec python3 "$here/bench.py" "${args[@]}"
