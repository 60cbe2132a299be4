#!/usr/bin/env bash
# Builds and runs every test, each in the strictest build that can run it:
# the normal build runs the TCG VM, libvirt and DPDK tests, the README demo
# and the install check; an AddressSanitizer + UndefinedBehaviorSanitizer
# build runs everything else (unit, integration, security, real QEMU, data
# path); ThreadSanitizer runs the tests of memdomain's threads; and a short
# fuzz run (30 s per target).
#
#   scripts/run-tests.sh [--no-asan] [--no-tsan] [--no-fuzz] [--fuzz-seconds N]
# Needs the host prepared by scripts/setup-host.sh (run as root).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
asan=1; tsan=1; fuzz=1; fuzz_seconds=30
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

# Every test runs once, in the strictest build that can run it. The normal
# build (build/) has the tools, the daemon, the libraries and only the tests
# that cannot run under the sanitizers: the VMs (static guest tools), libvirt
# (its guests), DPDK (testpmd cannot load a sanitized plugin); it builds the
# benchmarks too, so they keep compiling. Everything else runs in the
# ASan+UBSan build below (with --no-asan the normal build runs them all).
# `scripts/build.sh && ctest --test-dir build` builds and runs the whole
# suite in a normal build.
export BUILD_DIR=$root/build
if [ "$asan" = 1 ]; then export MEMDOMAIN_TEST_AREAS="vm;libvirt;dpdk;bench"; fi
# Line tables only (-g1): stack traces keep file:line, the build takes a
# quarter less time than with full debug info.
step "build" "$root/scripts/build.sh" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
step "tests" run_ctest --test-dir "$root/build" --output-on-failure -j2 --timeout 600
step "demo" "$root/scripts/demo.sh" --once --socket-dir "$(mktemp -d)/sockets"
step "install" "$root/tests/install/check-install.sh" "$root/build"
unset MEMDOMAIN_TEST_AREAS
if [ "$asan" = 1 ]; then
  # -O0 with line tables (-g1): the sanitizers' reports keep file:line.
  step "build (asan+ubsan)" env BUILD_DIR="$root/build-asan" BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DMEMDOMAIN_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1
  # Everything but the VM, libvirt-guest and DPDK tests, which ran above in
  # the normal build.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  step "tests (asan+ubsan)" run_ctest --test-dir "$root/build-asan" --output-on-failure -j2 -LE vm --timeout 600
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi
if [ "$tsan" = 1 ] && [ -x "$root/tests/tsan/run-tsan.sh" ]; then
  # Only the tests of memdomain's threads (label "threads": the server's
  # threaded create, the library's reader thread), only the targets they
  # need.
  step "build (tsan)" "$root/tests/tsan/run-tsan.sh" --build-only
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
  step "tests (tsan: label threads)" run_ctest --test-dir "$root/build-tsan" -L threads --output-on-failure -j2 --timeout 300
  unset TSAN_OPTIONS
fi
if [ "$fuzz" = 1 ] && [ -x "$root/tests/fuzz/run-fuzz.sh" ]; then
  step "fuzz (${fuzz_seconds}s per target)" "$root/tests/fuzz/run-fuzz.sh" "$fuzz_seconds"
fi

# Skipped tests. ctest counts a skip as a pass, so each one is looked up again
# for the reason it printed. Only hardware this machine truly lacks may skip
# (KVM, a second NUMA node, a 1G pool the kernel does not have): such tests
# say so with a reason starting "[hardware]". Any other skip (hugepages short,
# not root, QEMU or libvirt missing, a target not built) is something CI must
# provide, and fails the run.
skipped=()        # "build-dir<TAB>test name"
while IFS=$'\t' read -r dir name; do skipped+=("$dir"$'\t'"$name"); done < <(
  awk '/^=== tests/ { dir = "" } /^Test project / { dir = $3 } /\*\*\*Skipped/ {
         name = $0; sub(/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: /, "", name); sub(/ \.+.*$/, "", name);
         print dir "\t" name }' "$ctest_log")
skip_reason() {  # skip_reason BUILD_DIR TEST: the lines the test printed when it skipped
  ctest --test-dir "$1" -R "^$(printf '%s' "$2" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" -V 2>/dev/null |
    sed -n '/\[ RUN /,/\[  SKIPPED \]/p' | sed -E 's/^[0-9]+: //' |
    grep -v -E '^\[ RUN|^\[  SKIPPED|: Skipped$' | tr '\n' ' ' | sed 's/ *$//'
}
forbidden_skips=0
skip_lines=()
for entry in "${skipped[@]}"; do
  dir=${entry%%$'\t'*}; name=${entry#*$'\t'}
  why=$(skip_reason "$dir" "$name")
  case "$why" in
    "[hardware]"*) skip_lines+=("  skipped (hardware): $name: ${why#\[hardware\] }") ;;
    *) skip_lines+=("  SKIPPED, NOT ALLOWED: $name: ${why:-no reason printed}"); forbidden_skips=$((forbidden_skips + 1)) ;;
  esac
done
if [ "$forbidden_skips" -gt 0 ]; then failed+=("skips ($forbidden_skips for reasons CI must provide)"); fi

# The closing count: every test of every ctest run, plus each other step
# (build, demo, install, fuzz) as one test; skipped tests apart.
total_tests=0; failed_tests=0
while read -r line; do
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  n=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
  total_tests=$((total_tests + n)); failed_tests=$((failed_tests + f))
done < <(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log")
other_failed=0
for name in "${failed[@]}"; do case "$name" in tests*|skips*) ;; *) other_failed=$((other_failed + 1)) ;; esac; done
other_passed=$((other_steps - other_failed))
echo
for l in "${skip_lines[@]}"; do echo "$l"; done
if [ ${#failed[@]} -eq 0 ]; then
  echo "run-tests.sh: every step passed"
else
  echo "run-tests.sh: FAILED: ${failed[*]}"
fi
echo "$((total_tests - failed_tests - ${#skipped[@]} + other_passed)) passed, $((failed_tests + other_failed)) failed, ${#skipped[@]} skipped"
[ ${#failed[@]} -eq 0 ]
