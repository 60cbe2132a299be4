#!/usr/bin/env bash
# net_memdomain against net_memif, on this host, in one run: two
# dpdk-testpmd processes (txonly -> rxonly, one forwarding core each, the
# same cores for both drivers), 64 B and 1500 B frames, copy and zero-copy.
# Prints the receiver's median Rx rate per case and the ratio
# net_memdomain / net_memif. Only the ratios mean something: the machine is
# shared and its speed changes between runs.
#
#   tests/bench/dpdk_compare.sh [--build DIR] [--seconds N] [--rounds N] [--sizes "64 1500"]
#                               [--cpus A,B] [--nice N]
# The sender forwards on CPU B, the receiver on CPU A (their main lcores on
# the other one). compare.sh's hook runs this with CPUS, RUNS and
# SECONDS_PER_RUN set.
#
# --nice N runs both testpmd processes at that niceness (e.g. -20 on a
# machine busy with builds: the polling cores then get most of the CPU,
# the same for both drivers).
#
# Needs root, hugepages (memif's zero-copy shares DPDK's own hugepage
# memory, so both drivers run with --in-memory), and a build with
# MEMDOMAIN_DPDK (memdomaind and librte_net_memdomain.so).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
# Defaults from the environment when compare.sh runs us (its hook passes
# CPUS=a,b RUNS=N SECONDS_PER_RUN=N).
seconds=${SECONDS_PER_RUN:-5}
rounds=${RUNS:-1}
cpus=${CPUS:-0,1}
sizes="64 1500"
nice_level=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --nice) nice_level=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "dpdk_compare.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
cpu_a=${cpus%,*}
cpu_b=${cpus#*,}
memdomaind=$build/host-server/memdomaind
pmd=$build/guest-lib/dpdk/librte_net_memdomain.so
testpmd=/usr/bin/dpdk-testpmd
for f in "$memdomaind" "$pmd" "$testpmd"; do
  [ -e "$f" ] || { echo "dpdk_compare.sh: $f is missing (build with MEMDOMAIN_DPDK=ON)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The domain on 2 MiB pages when the pool has room (memif's rings live in
# hugepages too), else 4 KiB pages (said in the output).
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
page=4K
[ "$free" -ge 120 ] && page=2M
cat >"$work/memdomain.conf" <<CONF
memdomain bench {
    vectors = 2
    size {
        huge $page = 64MB R/W
    }
}
CONF
mkdir -p "$work/sock"
exec 3>"$work/ready"
"$memdomaind" --config "$work/memdomain.conf" --socket-dir "$work/sock" --ready-fd 3 >"$work/memdomaind.log" 2>&1 &
pids+=($!)
exec 3>&-
for _ in $(seq 100); do grep -q READY "$work/ready" 2>/dev/null && break; sleep 0.05; done
grep -q READY "$work/ready" || { cat "$work/memdomaind.log"; echo "dpdk_compare.sh: memdomaind did not start" >&2; exit 1; }

# run_pair NAME SIZE TX_VDEV RX_VDEV: sets $rate to the receiver's median
# Rx-pps (not in a subshell: the PIDs must reach cleanup).
run_pair() {
  local name=$1 size=$2 txv=$3 rxv=$4
  # --single-file-segments: memif's zero-copy refuses multi-file segments.
  local eal=(--no-pci --no-telemetry --in-memory --single-file-segments -d "$pmd" --log-level pmd.net.memdomain:warning)
  local app=(--total-num-mbufs=16384 --stats-period 1 --auto-start --nb-cores=1 --txpkts="$size")
  nice -n "$nice_level" "$testpmd" --lcores "0@$cpu_a,1@$cpu_b" --main-lcore 0 --file-prefix "tx$name" "${eal[@]}" --vdev "$txv" -- \
    --forward-mode=txonly "${app[@]}" >"$work/$name.tx.log" 2>&1 &
  local tx=$!; pids+=($tx)
  sleep 1
  nice -n "$nice_level" "$testpmd" --lcores "0@$cpu_b,1@$cpu_a" --main-lcore 0 --file-prefix "rx$name" "${eal[@]}" --vdev "$rxv" -- \
    --forward-mode=rxonly --no-flush-rx "${app[@]}" >"$work/$name.rx.log" 2>&1 &
  local rx=$!; pids+=($rx)
  sleep $((seconds + 3))
  kill -INT "$tx" 2>/dev/null || true; wait "$tx" 2>/dev/null || true
  kill -INT "$rx" 2>/dev/null || true; wait "$rx" 2>/dev/null || true
  # Skip the first two samples (start-up), then the median of the rest.
  rate=$( (grep -o 'Rx-pps: *[0-9]*' "$work/$name.rx.log" || true) | awk '{print $2}' | tail -n +3 | sort -n |
    awk '{v[NR]=$1} END {if (NR == 0) print 0; else print v[int((NR + 1) / 2)]}')
  if [ "$rate" = 0 ]; then
    echo "dpdk_compare.sh: $name: no frames received; the receiver's log ends:" >&2
    tail -n 15 "$work/$name.rx.log" >&2
  fi
}

memif_sock=$work/memif.sock
declare -A pps
echo "dpdk_compare.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), ${seconds}s per case, ${rounds} round(s), domain on $page pages, nice $nice_level, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for size in $sizes; do
    for mode in copy zc; do
      zc=no; [ $mode = zc ] && zc=yes
      rm -f "$memif_sock"
      run_pair "memif-$mode-$size-$round" "$size" \
        "net_memif0,role=server,socket=$memif_sock" \
        "net_memif0,role=client,socket=$memif_sock,zero-copy=$zc"
      pps[memif,$mode,$size]="${pps[memif,$mode,$size]:-} $rate"
      run_pair "md-$mode-$size-$round" "$size" \
        "net_memdomain0,domain=bench,socket-dir=$work/sock,zero-copy=$zc,arena-size=16" \
        "net_memdomain0,domain=bench,socket-dir=$work/sock,zero-copy=$zc,arena-size=16"
      pps[memdomain,$mode,$size]="${pps[memdomain,$mode,$size]:-} $rate"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR]=$1} END {print (NR ? v[int((NR + 1) / 2)] : 0)}'; }
printf '\n%-6s %-10s %14s %14s %8s\n' size mode "memif Mpps" "memdomain Mpps" ratio
for size in $sizes; do
  for mode in copy zc; do
    m=$(echo "${pps[memif,$mode,$size]:-}" | median)
    d=$(echo "${pps[memdomain,$mode,$size]:-}" | median)
    awk -v s="$size" -v mo="$mode" -v m="$m" -v d="$d" 'BEGIN {
      printf "%-6s %-10s %14.2f %14.2f %8s\n", s, (mo == "zc" ? "zero-copy" : "copy"), m / 1e6, d / 1e6,
             (m > 0 ? sprintf("%.2fx", d / m) : "n/a") }'
  done
done
