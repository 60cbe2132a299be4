#!/usr/bin/env bash
# The main job: build, start memdomaind on the shipped default config, and
# show two peers sharing the domain "MainMem" and ringing each other's
# doorbells. Then the server keeps serving until Ctrl-C (or, with --once,
# stops right after the demo, as CI runs it).
#
#   scripts/demo.sh [--once] [--socket-dir DIR] [--config FILE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
once=0
sockdir=${MEMDOMAIN_SOCKET_DIR:-/run/memdomain}
config=$root/config/memdomain.conf
while [ $# -gt 0 ]; do
  case "$1" in
    --once) once=1; shift ;;
    --socket-dir) sockdir="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
export MEMDOMAIN_SOCKET_DIR=$sockdir

"$root/scripts/build.sh" >/dev/null
bin=$build/host-server/memdomaind
info=$build/guest-lib/memdomain-info
ping=$build/guest-lib/memdomain-ping
ctl=$build/host-server/memdomainctl

work=$(mktemp -d)
server_pid=""
pong_pid=""
cleanup() {
  [ -n "$pong_pid" ] && kill "$pong_pid" 2>/dev/null && wait "$pong_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== memdomaind --config $config --socket-dir $sockdir"
mkfifo "$work/ready"
"$bin" --config "$config" --socket-dir "$sockdir" --ready-fd 3 3>"$work/ready" 2> >(sed -u 's/^/   [memdomaind] /' >&2) &
server_pid=$!
if ! timeout 60 head -n1 "$work/ready" | grep -q READY; then
  echo "demo.sh: memdomaind did not start (see its messages above)" >&2
  exit 1
fi

echo; echo "== memdomain-info: what $sockdir offers"
"$info"
echo; echo "== peer B: memdomain-ping MainMem --role pong (answers every doorbell)"
"$ping" MainMem --role pong --count 20 > "$work/pong.log" 2>&1 &
pong_pid=$!
echo "== peer A: memdomain-ping MainMem --role ping (writes a message, rings B, waits for the echo)"
"$ping" MainMem --role ping --count 20 --message "hello from peer A"
wait "$pong_pid"; pong_pid=""
sed 's/^/   [peer B] /' "$work/pong.log"
echo; echo "== memdomain-info MainMem"
"$info" MainMem
echo; echo "== memdomainctl list (the control socket)"
"$ctl" list
echo; echo "== memdomainctl qemu-args MainMem (attach a VM)"
"$ctl" qemu-args MainMem

if [ "$once" = 1 ]; then
  echo; echo "demo: ok"
  exit 0
fi
echo; echo "memdomaind keeps serving $sockdir (pid $server_pid); Ctrl-C stops it."
wait "$server_pid"
