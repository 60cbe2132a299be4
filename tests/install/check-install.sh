#!/usr/bin/env bash
# Installs a build into a temporary prefix with `cmake --install`, builds an
# outside program against it (CMake package and pkg-config), and runs it
# against the installed memdomaind serving the installed default config.
#   tests/install/check-install.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: check-install.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in sbin/memdomaind bin/memdomainctl bin/memdomain-info bin/memdomain-ping include/memdomain/domain.h \
         include/memdomain/memdomain.h include/memdomain/common/segment_header.h \
         etc/memdomain/memdomain.conf; do
  [ -e "$prefix/$f" ] || { echo "check-install: $f was not installed" >&2; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name memdomain.pc | head -1)")/..
export PKG_CONFIG_PATH=$libdir/pkgconfig
cmake -S "$here/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
ninja -C "$work/consumer" >/dev/null

export MEMDOMAIN_SOCKET_DIR=$work/sockets
mkfifo "$work/ready"
"$prefix/sbin/memdomaind" --config "$prefix/etc/memdomain/memdomain.conf" --ready-fd 3 3>"$work/ready" \
  2>"$work/server.log" &
server_pid=$!
timeout 30 head -n1 "$work/ready" | grep -q READY || { cat "$work/server.log" >&2; exit 1; }
export LD_LIBRARY_PATH=$libdir
"$work/consumer/consumer_cxx" Scratch
"$work/consumer/consumer_c" Scratch
"$prefix/bin/memdomain-info" Scratch >/dev/null
"$prefix/bin/memdomainctl" list | grep -q Scratch
echo "check-install: ok (installed tree at a temporary prefix, consumers built with find_package and pkg-config)"
