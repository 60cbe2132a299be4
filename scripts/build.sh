#!/usr/bin/env bash
# Configures and builds memdomain into BUILD_DIR (default: build/).
#   scripts/build.sh [extra cmake -D options]
# BUILD_TARGETS="a b" builds only those targets (and what they need);
# MEMDOMAIN_TEST_AREAS="vm;libvirt" only those test areas (default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}
launcher=()
# ccache, where installed, makes rebuilds of other checkouts cheap; CI does
# not install it and builds from scratch.
if command -v ccache >/dev/null 2>&1 && [ "${CCACHE_DISABLE:-0}" = 0 ]; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "${launcher[@]}" \
  -DMEMDOMAIN_TEST_AREAS="${MEMDOMAIN_TEST_AREAS:-all}" "$@" >/dev/null
# shellcheck disable=SC2086 # a space-separated list of targets
ninja -C "$build" -j "$jobs" ${BUILD_TARGETS:-}
