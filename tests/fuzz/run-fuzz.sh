#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (fuzzer + ASan + UBSan) in a build
# directory of their own and runs each for N seconds (default 45) on a copy of
# its seed corpus. Exits non-zero if any target finds a crash, leak, timeout
# or broken invariant; the input that did it is left in BUILD/fuzz-artifacts.
#
#   tests/fuzz/run-fuzz.sh [SECONDS]
#   env: MEMDOMAIN_FUZZ_BUILD (build dir, default <repo>/build-fuzz),
#        CC / CXX (default clang-14 / clang++-14), JOBS (default 2)
set -euo pipefail

seconds="${1:-45}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${MEMDOMAIN_FUZZ_BUILD:-$root/build-fuzz}"
cc="${CC:-clang-14}"
cxx="${CXX:-clang++-14}"
jobs="${JOBS:-2}"

command -v "$cxx" >/dev/null || { echo "run-fuzz: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DMEMDOMAIN_FUZZ=ON -DMEMDOMAIN_SANITIZE=ON -DMEMDOMAIN_BUILD_TESTS=ON >/dev/null
ninja -C "$build" -j "$jobs" fuzz_config_parser fuzz_segment_header fuzz_server_readback

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
work="$(mktemp -d "${TMPDIR:-/tmp}/memdomain-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failed=0
summary=()
run() {  # target corpus-subdir
    local target="$1" corpus="$work/$2" log="$work/$1.log" rc=0
    cp -r "$here/corpus/$2" "$corpus"
    echo "== $target: ${seconds}s on $(ls "$corpus" | wc -l) seeds"
    "$build/tests/fuzz/$target" "$corpus" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" >"$log" 2>&1 || rc=$?
    local runs execs
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    execs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)"
    if [[ $rc -ne 0 ]]; then
        failed=1
        echo "!! $target FAILED (exit $rc); last lines of its log:"
        tail -40 "$log"
        summary+=("$target: FAILED (exit $rc), artifacts in $artifacts")
    else
        summary+=("$target: ok, ${runs:-?} runs, ${execs:-?} exec/s, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l) files")
    fi
}
run fuzz_config_parser config
run fuzz_segment_header header
run fuzz_server_readback readback

printf '%s\n' "${summary[@]}"
exit "$failed"
