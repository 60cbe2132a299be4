#!/usr/bin/env bash
# Builds and runs every test: the whole suite (unit, integration, real QEMU,
# two-VM TCG scenarios), the README demo, the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, the threaded create's tests
# under ThreadSanitizer, and a short fuzz run.
#
#   scripts/run-tests.sh [--no-asan] [--no-tsan] [--no-fuzz] [--fuzz-seconds N]
# Needs the host prepared by scripts/setup-host.sh (run as root).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
asan=1; tsan=1; fuzz=1; fuzz_seconds=45
while [ $# -gt 0 ]; do
  case "$1" in
    --no-asan) asan=0; shift ;;
    --no-tsan) tsan=0; shift ;;
    --no-fuzz) fuzz=0; shift ;;
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run-tests.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

failed=()
ctest_log=$(mktemp)
trap 'rm -f "$ctest_log"' EXIT
# ctest, its output also kept for the closing count.
run_ctest() {
  ctest "$@" 2>&1 | tee -a "$ctest_log"
  return "${PIPESTATUS[0]}"
}
other_steps=0
step() {  # step NAME command...
  local name=$1; shift
  case "$name" in tests*) ;; *) other_steps=$((other_steps + 1)) ;; esac
  echo; echo "=== $name"
  local t0=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - t0)) s)"; else echo "=== $name: FAILED ($((SECONDS - t0)) s)"; failed+=("$name"); fi
}

export BUILD_DIR=$root/build
step "build" "$root/scripts/build.sh"
step "tests" run_ctest --test-dir "$root/build" --output-on-failure -j2 --timeout 600
step "demo" "$root/scripts/demo.sh" --once --socket-dir "$(mktemp -d)/sockets"
step "install" "$root/tests/install/check-install.sh" "$root/build"
if [ "$asan" = 1 ]; then
  step "build (asan+ubsan)" env BUILD_DIR="$root/build-asan" BUILD_TYPE=Debug "$root/scripts/build.sh" -DMEMDOMAIN_SANITIZE=ON
  # The VM scenarios run statically linked guest tools, which the sanitizers
  # cannot build; they ran above in the normal build.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  step "tests (asan+ubsan)" run_ctest --test-dir "$root/build-asan" --output-on-failure -j2 -LE vm --timeout 600
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi
if [ "$tsan" = 1 ] && [ -x "$root/tests/tsan/run-tsan.sh" ]; then
  step "tsan (threaded create)" "$root/tests/tsan/run-tsan.sh"
fi
if [ "$fuzz" = 1 ] && [ -x "$root/tests/fuzz/run-fuzz.sh" ]; then
  step "fuzz (${fuzz_seconds}s per target)" "$root/tests/fuzz/run-fuzz.sh" "$fuzz_seconds"
fi

# The closing count: every test of every ctest run, plus each other step
# (build, demo, install, fuzz) as one test.
total_tests=0; failed_tests=0
while read -r line; do
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  n=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
  total_tests=$((total_tests + n)); failed_tests=$((failed_tests + f))
done < <(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log")
other_failed=0
for name in "${failed[@]}"; do case "$name" in tests*) ;; *) other_failed=$((other_failed + 1)) ;; esac; done
other_passed=$((other_steps - other_failed))
echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "run-tests.sh: every step passed"
else
  echo "run-tests.sh: FAILED: ${failed[*]}"
fi
echo "$((total_tests - failed_tests + other_passed)) passed, $((failed_tests + other_failed)) failed"
[ ${#failed[@]} -eq 0 ]
