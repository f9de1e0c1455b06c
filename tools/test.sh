#!/usr/bin/env bash
# Builds bpfrouter and runs every test: unit, BPF (BPF_PROG_TEST_RUN) and integration
# (namespaces, real BIRD and WireGuard peers). Needs root. Usage: tools/test.sh [ctest args...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFR_BUILD_DIR:-$top/build}

"$top/tools/install-deps.sh"
"$top/tools/prepare-host.sh"

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${BPFR_CMAKE_ARGS:-}
cmake --build "$build" -j"$(nproc)"

cd "$build"
ctest --output-on-failure --timeout 900 "$@"
