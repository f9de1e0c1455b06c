#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan and UBSan) and runs each for a
# while, as many at once as there are cores. Every crash, leak, hang or out-of-memory input
# found is copied to tests/fuzz/regressions/<target>/, where the replay tests (test_fuzz_*)
# pick it up, and the script fails.
#
# Usage: tools/fuzz.sh [options] [target...]
#   --time SECONDS   run each target this long (default 120)
#   --hours N        run about N hours in all, shared among targets and cores
#   --jobs N         targets at once (default: nproc)
#   --bulk           also seed from thousands of MRT messages in ../shared/data (long runs)
#   --merge          afterwards, minimize each working corpus into tests/fuzz/corpus/<target>
#   --no-build       use the fuzzers already built
# Targets: bgp_message config_parser filter control_request control_reply (default: all).
# Environment: BPFR_FUZZ_BUILD_DIR (default build-fuzz); the working corpora live in
# <build>/fuzz-work/<target> and grow from run to run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFR_FUZZ_BUILD_DIR:-$top/build-fuzz}
fuzz_dir=$top/tests/fuzz
all_targets=(bgp_message config_parser filter control_request control_reply)

# Longest input per target: BGP streams reach past 4096 (extended messages), configurations
# and filters stay at what an operator writes, control requests at a line.
declare -A max_len=([bgp_message]=9000 [config_parser]=16384 [filter]=4096
                    [control_request]=1024 [control_reply]=8192)

seconds=120
hours=
jobs=$(nproc)
bulk=0
merge=0
do_build=1
targets=()
while (($#)); do
  case $1 in
    --time) seconds=$2; shift ;;
    --hours) hours=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --bulk) bulk=1 ;;
    --merge) merge=1 ;;
    --no-build) do_build=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) [[ -v max_len[$1] ]] || { echo "fuzz: unknown target $1" >&2; exit 2; }
       targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]})) || targets=("${all_targets[@]}")
if [[ -n $hours ]]; then
  seconds=$(awk -v h="$hours" -v j="$jobs" -v n="${#targets[@]}" \
    'BEGIN { r = int(h * 3600 * (j < n ? j : n) / n); print r < 60 ? 60 : r }')
fi

if ((do_build)); then
  CC=clang CXX=clang++ cmake -S "$top" -B "$build" -DBPFR_FUZZ=ON -DBPFR_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
fi

work=$build/fuzz-work
mkdir -p "$work"
if ((bulk)); then
  [[ -d $work/bulk-seeds ]] || "$fuzz_dir/make_seeds.py" --bulk "$work/bulk-seeds"
fi

# Dictionaries: the words the parsers compare against, from their sources (never stale).
make_dict() {
  grep -ohE '"[][a-z_0-9.:=~!<>+*|-]{1,24}"' "$@" | grep -vx '"include"' | sort -u
}
make_dict "$top"/userspace/config/*.cpp "$top"/userspace/config/*.h >"$work/bird.dict"
make_dict "$top"/userspace/control/command.cpp >"$work/control.dict"
declare -A dict=([config_parser]=$work/bird.dict [filter]=$work/bird.dict
                 [control_request]=$work/control.dict)

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# A hang is an input that runs 25 s (a busy machine stretches a normal one to a few seconds).
# One target: its working corpus first (libFuzzer adds new inputs there), then the committed
# seeds and regressions, which it only reads.
run_target() {
  local t=$1 dirs=() opts=()
  mkdir -p "$work/$t" "$work/artifacts/$t"
  dirs=("$work/$t" "$fuzz_dir/corpus/$t")
  [[ -d $fuzz_dir/regressions/$t ]] && dirs+=("$fuzz_dir/regressions/$t")
  ((bulk)) && [[ -d $work/bulk-seeds/$t ]] && dirs+=("$work/bulk-seeds/$t")
  [[ -v dict[$t] ]] && opts+=(-dict="${dict[$t]}")
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" \
    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t/" "${opts[@]}" "${dirs[@]}" >"$work/$t.log" 2>&1 &&
    echo 0 >"$work/$t.rc" || echo $? >"$work/$t.rc"
}

echo "fuzz: ${targets[*]}, ${seconds} s each, $jobs at a time; logs in $work/<target>.log"
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  rm -f "$work/$t.rc"
  run_target "$t" &
done
wait

# Findings become regression inputs; the summary gives each target's last status line.
failed=0
for t in "${targets[@]}"; do
  last=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -1 | sed -E 's/ +/ /g')
  found=()
  for f in "$work/artifacts/$t"/{crash,leak,timeout,oom}-*; do
    [[ -e $f ]] || continue
    mkdir -p "$fuzz_dir/regressions/$t"
    cp "$f" "$fuzz_dir/regressions/$t/"
    found+=("tests/fuzz/regressions/$t/$(basename "$f")")
    rm "$f"
  done
  if ((${#found[@]})); then
    failed=1
    echo "fuzz: $t: FOUND ${#found[@]}: ${found[*]}"
    grep -m3 -E 'ERROR: |runtime error:|==[0-9]+== ' "$work/$t.log" | sed 's/^/    /' || true
    echo "    reproduce: $build/tests/fuzz/fuzz_$t ${found[0]}"
  elif [[ $(cat "$work/$t.rc" 2>/dev/null) != 0 ]]; then
    failed=1
    echo "fuzz: $t: fuzzer failed without a finding; see $work/$t.log"
  else
    echo "fuzz: $t: clean: ${last:-no status line}"
  fi
done

if ((merge)); then
  for t in "${targets[@]}"; do
    fresh=$work/merge-$t
    rm -rf "$fresh" && mkdir -p "$fresh"
    "$build/tests/fuzz/fuzz_$t" -merge=1 -max_len="${max_len[$t]}" -timeout=25 \
      "$fresh" "$fuzz_dir/corpus/$t" "$work/$t" >"$work/merge-$t.log" 2>&1
    echo "fuzz: $t: corpus minimized to $(ls "$fresh" | wc -l) files in $fresh"
  done
fi
exit $failed
