#!/usr/bin/env bash
# ThreadSanitizer run of the tests that exercise memdomain's two threads: the
# server's threaded `create` (a worker creates and prefaults a runtime
# domain's instances while the event loop keeps serving) and the client
# library's reader thread (it drains the server's messages while the
# application polls, waits or calls nothing). They carry the ctest label
# "threads": the control verbs against an in-process registry
# (ControlChangingVerbs) and against a real TSan-built memdomaind
# (ControlChanges: progress, other clients served meanwhile, clients
# leaving, shutdown during a create), and the socket transport's protocol
# and keep-up tests (SocketProtocol, KeepUp). Builds only what those tests need,
# into a build directory of its own.
#
#   tests/tsan/run-tsan.sh [--build-only]
#   env: MEMDOMAIN_TSAN_BUILD (default <repo>/build-tsan), JOBS (default 2)
# scripts/run-tests.sh runs the build with --build-only and the tests through
# its own ctest wrapper (so they count in its summary), with the same
# TSAN_OPTIONS: a race makes the process that sees it exit 66, which fails
# the test that ran it; the report is in the test's output or the server log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${MEMDOMAIN_TSAN_BUILD:-$root/build-tsan}"
jobs="${JOBS:-2}"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" -DMEMDOMAIN_TSAN=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
ninja -C "$build" -j "$jobs" memdomaind memdomainctl control_changing_verbs_test integration_control_changes_test \
  socket_protocol_test socket_keepup_test
[ "${1:-}" = "--build-only" ] && exit 0
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 exitcode=66 second_deadlock_stack=1}"
ctest --test-dir "$build" -L threads --output-on-failure -j2 --timeout 300
