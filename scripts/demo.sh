#!/usr/bin/env bash
# The main job: build, start memdomaind on the shipped default config (under
# memdomain-keeper, which holds the domains' memory across server restarts),
# show two peers sharing the domain "MainMem" and ringing each other's
# doorbells, then kill -9 the server and show that the restarted one serves
# the very same memory. Then the server keeps serving until Ctrl-C (or, with
# --once, stops right after the demo, as CI runs it).
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

# Only what the demo runs: the full build (tests, benchmarks, guest image)
# belongs to scripts/run-tests.sh.
BUILD_TARGETS="memdomaind memdomain-keeper memdomain-info memdomain-ping memdomain-bench memdomainctl" "$root/scripts/build.sh" >/dev/null
bin=$build/host-server/memdomaind
keeper=$build/host-server/keeper/memdomain-keeper
info=$build/guest-lib/memdomain-info
ping=$build/guest-lib/memdomain-ping
bench=$build/guest-lib/memdomain-bench
ctl=$build/host-server/memdomainctl

work=$(mktemp -d)
keeper_pid=""
pong_pid=""
cleanup() {
  [ -n "$pong_pid" ] && kill "$pong_pid" 2>/dev/null && wait "$pong_pid" 2>/dev/null
  [ -n "$keeper_pid" ] && kill "$keeper_pid" 2>/dev/null && wait "$keeper_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The keeper writes "READY <memdomaind pid>" to fd 3 each time a server is
# ready; wait_ready N waits for the N-th line and prints that pid.
wait_ready() {
  for _ in $(seq 600); do
    line=$(grep '^READY ' "$work/ready" 2>/dev/null | sed -n "${1}p")
    if [ -n "$line" ]; then echo "${line#READY }"; return 0; fi
    sleep 0.1
  done
  echo "demo.sh: memdomaind did not become ready (see its messages above)" >&2
  return 1
}
generation() { "$ctl" --json show "$1" | grep -o '"generation": *[0-9]*' | head -n1 | tr -dc '0-9'; }

echo "== memdomain-keeper -- memdomaind --config $config --socket-dir $sockdir"
: > "$work/ready"
"$keeper" --ready-fd 3 -- "$bin" --config "$config" --socket-dir "$sockdir" \
  3>"$work/ready" 2> >(sed -u 's/^/   [server] /' >&2) &
keeper_pid=$!
server_pid=$(wait_ready 1)

echo; echo "== memdomain-info: what $sockdir offers"
"$info"
# The data path first: memdomain-ping below writes its message at the start
# of the data area, where the data-path layout lives (a data area is used
# raw or through the data path, not both).
echo; echo "== the data path: two processes, each with its own arena in MainMem, a channel between them"
echo "   memdomain-bench pair --domain MainMem --test rate --size 64 --seconds 1"
"$bench" pair --domain MainMem --test rate --size 64 --seconds 1 2>&1 | sed 's/^/   /'
echo "   memdomain-bench pair --domain MainMem --test pingpong --wait doorbell --seconds 1"
"$bench" pair --domain MainMem --test pingpong --wait doorbell --seconds 1 2>&1 | sed 's/^/   /'
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

echo; echo "== kill -9 memdomaind (pid $server_pid): the keeper restarts it with the memory it kept"
before=$(generation MainMem)
kill -9 "$server_pid"
server_pid=$(wait_ready 2)
after=$(generation MainMem)
echo "   MainMem generation before: $before, after: $after (pid now $server_pid)"
if [ -z "$before" ] || [ "$before" != "$after" ]; then
  echo "demo.sh: the restarted server did not adopt MainMem's memory" >&2
  exit 1
fi
echo "== peer C: memdomain-info MainMem after the restart (same generation: same memory, not a fresh copy)"
"$info" MainMem | grep -E 'generation|segment'

if [ "$once" = 1 ]; then
  echo; echo "demo: ok"
  exit 0
fi
echo; echo "memdomaind keeps serving $sockdir (pid $server_pid, kept by memdomain-keeper pid $keeper_pid); Ctrl-C stops both."
wait "$keeper_pid"
