#!/usr/bin/env bash
# Builds bpfrouter with AddressSanitizer and UndefinedBehaviorSanitizer (BPFR_SANITIZE, g++) in
# a build directory of its own and runs the test suite there: labels unit and bpf by default,
# integration too with --integration. Prints which tests failed and which of them a sanitizer
# stopped, with the report's first lines. Needs root for the bpf and integration labels.
#
# Usage: tools/test-sanitize.sh [--integration] [--build-only] [-- ctest args...]
# Environment: BPFR_SANITIZE_BUILD_DIR (default build-asan), BPFR_CMAKE_ARGS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFR_SANITIZE_BUILD_DIR:-$top/build-asan}
labels='^(unit|bpf)$'
build_only=0
ctest_args=()
while (($#)); do
  case $1 in
    --integration) labels='^(unit|bpf|integration)$' ;;
    --build-only) build_only=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test-sanitize: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# Leaks are reported by the tests, not by gtest's test discovery during the build. UBSan stops
# at the first report (-fno-sanitize-recover) and prints where.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0

started=$(date +%s)
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBPFR_SANITIZE=ON \
  ${BPFR_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
built=$(date +%s)
echo "test-sanitize: build took $((built - started)) s"
((build_only)) && exit 0

export ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1:abort_on_error=0
status=0
(cd "$build" && ctest --output-on-failure --timeout 900 -L "$labels" "${ctest_args[@]}") \
  | tee "$build/sanitize-ctest.log" || status=$?
finished=$(date +%s)

# A sanitizer report in a failed test's output names the bug; list each with its first lines.
echo
echo "==== sanitizer summary ($labels) ===="
log=$build/Testing/Temporary/LastTest.log
if [[ -f $log ]]; then
  awk '
    /^[0-9]+\/[0-9]+ Test: / { test = $3 }
    /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/ && !(test in seen) {
      seen[test] = 1; n++; print "  " test ": " substr($0, 1, 160); frames = 0; want = 1; next
    }
    want && /^ *#[0-9]+ / && frames < 4 { print "      " substr($0, 1, 150); frames++ }
    want && frames >= 4 { want = 0 }
    END { if (!n) print "  no sanitizer reports" }
  ' "$log"
fi
grep -E '^[0-9]+% tests passed|tests failed out of' "$build/sanitize-ctest.log" || true
echo "test-sanitize: build $((built - started)) s, tests $((finished - built)) s"
exit $status
