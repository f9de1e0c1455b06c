#!/usr/bin/env bash
# Builds bpfrouter and runs every test: unit, BPF (BPF_PROG_TEST_RUN), integration (namespaces,
# real BIRD and WireGuard peers) and the benchmark smokes; then each libFuzzer harness for two
# minutes; then the suite again under AddressSanitizer and UndefinedBehaviorSanitizer. Installs
# the Debian packages it needs and mounts bpffs first. Needs root.
#
# Usage: tools/test.sh [--quick] [ctest args...]
#   --quick   the main build and its ctest run only (no fuzzing, no sanitizer run)
# Environment: BPFR_BUILD_DIR (default build), BPFR_CMAKE_ARGS, BPFR_FUZZ_SECONDS (default 120).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFR_BUILD_DIR:-$top/build}
quick=0
if [[ ${1:-} == --quick ]]; then
  quick=1
  shift
fi

"$top/tools/install-deps.sh"
"$top/tools/prepare-host.sh"

# Every stage runs even when an earlier one failed, so one CI run shows all that is broken.
failed=()
stage() {
  local name=$1 started=$SECONDS
  shift
  echo "==== test: $name ===="
  "$@" || failed+=("$name")
  echo "==== test: $name took $((SECONDS - started)) s ===="
}

main_suite() {
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${BPFR_CMAKE_ARGS:-}
  cmake --build "$build" -j"$(nproc)"
  (cd "$build" && ctest --output-on-failure --timeout 900 "$@")
}

stage "build and ctest" main_suite "$@"
if ((!quick)); then
  stage "fuzz" "$top/tools/fuzz.sh" --time "${BPFR_FUZZ_SECONDS:-120}"
  stage "sanitizers" "$top/tools/test-sanitize.sh" --integration
fi

if ((${#failed[@]})); then
  echo "test: FAILED: ${failed[*]}"
  exit 1
fi
echo "test: all stages passed"
