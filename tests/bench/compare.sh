#!/usr/bin/env bash
# memdomain's data path against its baselines, on the same two CPUs, in one
# run (the machine is shared and noisy: only ratios within a run mean
# something). Not part of the pass/fail suite.
#
#   tests/bench/compare.sh [--runs N] [--seconds S] [--cpus A,B] [--only ROWS] [--markdown FILE]
#
# Each measurement runs N times (default 3), memdomain and its baseline
# alternating, and the table shows medians, the min-max spread and the ratio
# of the medians against the issue's target:
#   rate64     memdomain-bench pair rate 64 B copy (Mpps)    vs two dpdk-testpmd over net_memif (txonly/rxonly)  >= 1.5x
#   rate1500   the same at 1500 B                                                                                >= 1.0x
#   rtt        memdomain-bench pair pingpong, busy poll (p50) vs floor_bench cacheline (raw line ping-pong)      <= 1.5x
#   bulk       memdomain-bench pair bulk 64 KiB copy (GB/s)   vs floor_bench memcpy, one core, same block        >= 0.8x
#   pipe       the same bulk run                              vs floor_bench pipe: the same copies in and out
#                                                                between the two CPUs through a plain shared ring  >= 0.8x
#   doorbell   memdomain-bench pair pingpong, doorbell (p50)  vs floor_bench eventfd (blocking eventfds)          <= 1.3x
#   attach     Domain::open of a 1 GiB domain (attach_bench)  vs DPDK rte_eal_init with 1 GiB (--no-huge -m 1024) >= 100x faster
# ROWS is a comma list of those names (default: all). Needs a build
# (scripts/build.sh) and, for the net_memif and EAL rows, Debian's dpdk and
# dpdk-dev packages (dpdk-testpmd) and libdpdk-dev (eal_startup).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=3
seconds=2
cpus=
only=rate64,rate1500,rtt,bulk,pipe,doorbell,attach,dpdk
markdown=

while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --markdown) markdown=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

bench=$build/guest-lib/memdomain-bench
daemon=$build/host-server/memdomaind
floor=$build/tests/bench/floor_bench
eal=$build/tests/bench/eal_startup
attach=$build/tests/bench/attach_bench
for b in "$bench" "$daemon" "$floor"; do
    [ -x "$b" ] || { echo "compare.sh: $b is missing: build first (scripts/build.sh)" >&2; exit 1; }
done

# The two CPUs: given, else the first two this shell may use.
if [ -z "$cpus" ]; then
    cpus=$(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done |
        head -n 2 | paste -sd,)
fi
cpu_a=${cpus%,*}
cpu_b=${cpus#*,}
[ "$cpu_a" != "$cpu_b" ] || { echo "compare.sh: need two different CPUs, got '$cpus'" >&2; exit 1; }

work=$(mktemp -d /tmp/md-compare.XXXXXX)
server_pid=
cleanup() {
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

want() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# --- the memdomain side: one server, one 64 MiB domain -----------------------
free2m=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
page=4K
[ "$free2m" -ge 48 ] && page=2M
cat >"$work/md.conf" <<EOF
memdomain Bench {
    vectors = 2
    size {
        huge $page = 64MB R/W
    }
}
EOF
"$daemon" --config "$work/md.conf" --socket-dir "$work" --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do [ -S "$work/Bench.sock" ] && break; sleep 0.05; done
[ -S "$work/Bench.sock" ] || { echo "compare.sh: memdomaind did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# --- helpers ---------------------------------------------------------------
# field FILE KEY: the first number after "KEY": in a JSON line.
field() { grep -o "\"$2\":[-0-9.e+]*" "$1" | head -n 1 | cut -d: -f2; }

md() {  # md ARGS...: memdomain-bench pair, JSON into $work/last.json
    "$bench" pair --domain Bench --socket-dir "$work" --transport socket --cpus "$cpus" --seconds "$seconds" \
        --json "$@" >"$work/last.json" 2>"$work/last.err" || {
        echo "compare.sh: memdomain-bench pair $* failed:" >&2
        cat "$work/last.json" "$work/last.err" >&2
        return 1
    }
}
md_rate() { md --test rate --size "$1" && field "$work/last.json" mpps; }
md_rtt() { md --test pingpong --size 64 --wait "$1" && field "$work/last.json" p50; }
md_bulk() { md --test bulk --size 65536 && field "$work/last.json" gb_per_s; }
floor_rtt() { "$floor" "$1" --cpus "$cpus" --seconds "$seconds" | grep -o '"p50":[0-9]*' | cut -d: -f2; }
floor_pipe() { "$floor" pipe --cpus "$cpus" --size 65536 --seconds "$seconds" | grep -o '"gb_per_s":[0-9.]*' | cut -d: -f2; }
floor_memcpy() { "$floor" memcpy --cpu "$cpu_a" --size 65536 --seconds "$seconds" | grep -o '"gb_per_s":[0-9.]*' | cut -d: -f2; }

# memif SIZE: two dpdk-testpmd over net_memif, txonly on cpu_b and rxonly on
# cpu_a (one forwarding core each, main lcores on the other CPU); the
# receiver's Rx-pps, median of the per-second samples after the first, in Mpps.
memif() {
    command -v dpdk-testpmd >/dev/null || { echo "compare.sh: dpdk-testpmd missing (apt-get install dpdk dpdk-dev)" >&2; return 1; }
    local sock=$work/memif.sock tx rx
    rm -f "$sock"
    dpdk-testpmd --lcores "0@$cpu_a,1@$cpu_b" --main-lcore 0 --file-prefix mdcmp-tx --in-memory --no-pci \
        --no-telemetry --vdev "net_memif0,role=server,socket=$sock" -- --forward-mode=txonly --txpkts="$1" \
        --total-num-mbufs=16384 --stats-period 1 --auto-start --nb-cores=1 >"$work/memif-tx.log" 2>&1 &
    tx=$!
    sleep 1
    dpdk-testpmd --lcores "0@$cpu_b,1@$cpu_a" --main-lcore 0 --file-prefix mdcmp-rx --in-memory --no-pci \
        --no-telemetry --vdev "net_memif0,role=client,socket=$sock" -- --forward-mode=rxonly \
        --total-num-mbufs=16384 --stats-period 1 --auto-start --nb-cores=1 >"$work/memif-rx.log" 2>&1 &
    rx=$!
    # Rx-pps is printed once a second: run long enough for a few samples.
    sleep "$(awk -v s="$seconds" 'BEGIN { if (s < 2) s = 2; printf "%d", s + 4 }')"
    kill -INT "$tx" 2>/dev/null || true   # stop the sender first, then the receiver
    wait "$tx" 2>/dev/null || true
    kill -INT "$rx" 2>/dev/null || true
    wait "$rx" 2>/dev/null || true
    # Non-zero samples; the first is a ramp-up second unless it is all there is.
    grep -o 'Rx-pps: *[0-9]*' "$work/memif-rx.log" | awk '{ print $2 }' | awk '$1 > 0' |
        awk '{ v[NR] = $1 } END { for (i = (NR >= 3 ? 2 : 1); i <= NR; i++) print v[i] }' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; printf "%.3f\n", v[int((NR + 1) / 2)] / 1e6 }' || {
        echo "compare.sh: net_memif $1 B gave no Rx-pps samples; testpmd said:" >&2
        grep -iE "error|fail|cannot|Rx-pps" "$work/memif-tx.log" "$work/memif-rx.log" | tail -n 12 >&2
        return 1
    }
}

attach_us() { "$attach" --rounds 5 --page 4K 2>&1 | awk '/^ *static attach  / { print $3; exit }'; }
eal_us() {
    [ -x "$eal" ] || { echo "compare.sh: $eal missing (apt-get install libdpdk-dev, rebuild)" >&2; return 1; }
    "$eal" --no-huge -m 1024 --no-pci --no-shconf --no-telemetry -l "$cpu_a" --log-level=error 2>/dev/null |
        grep -o '"eal_init_ms":[0-9.]*' | cut -d: -f2 | awk '{ printf "%.1f\n", $1 * 1000 }'
}

# stats "v1 v2 ...": "median min max"
stats() {
    echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.4g %.4g %.4g\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

rows=()
# row NAME WHAT UNIT TARGET_OP TARGET MD_VALUES BASE_VALUES BASELINE_NAME
# TARGET_OP: ge (md/base >= target), le (md/base <= target), inv (base/md >= target)
row() {
    local name=$1 what=$2 unit=$3 op=$4 target=$5 mdv=$6 basev=$7 base=$8 m b ratio verdict
    read -r m mlo mhi <<<"$(stats "$mdv")"
    read -r b blo bhi <<<"$(stats "$basev")"
    case "$op" in
    ge) ratio=$(awk -v a="$m" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "meets" : "short" }'); tgt=">= ${target}x" ;;
    le) ratio=$(awk -v a="$m" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "meets" : "short" }'); tgt="<= ${target}x" ;;
    inv) ratio=$(awk -v a="$m" -v b="$b" 'BEGIN { printf "%.0f", b / a }')
        verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "meets" : "short" }'); tgt=">= ${target}x faster" ;;
    esac
    rows+=("| $what | $m $unit ($mlo-$mhi) | $base: $b $unit ($blo-$bhi) | $ratio | $tgt | $verdict |")
    printf '%-10s memdomain %s %s (%s-%s)   %s %s %s (%s-%s)   ratio %s   target %s: %s\n' \
        "$name" "$m" "$unit" "$mlo" "$mhi" "$base" "$b" "$unit" "$blo" "$bhi" "$ratio" "$tgt" "$verdict"
}

# Runs `runs` alternating rounds of two commands; fills A and B. A failed
# round is reported and leaves the row out.
alternate() {
    A=
    B=
    local a b
    for _ in $(seq "$runs"); do
        a=$($1) || { echo "compare.sh: '$1' failed: row left out" >&2; return 1; }
        b=$($2) || { echo "compare.sh: '$2' failed: row left out" >&2; return 1; }
        A="$A $a"
        B="$B $b"
    done
}

echo "compare.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), CPUs $cpus, $runs runs of ${seconds} s, domain 64 MiB of $page pages"
echo "compare.sh: load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare ratios, not numbers)"

if want rate64; then
    alternate "md_rate 64" "memif 64" && row rate64 "message rate, 64 B, copy" Mpps ge 1.5 "$A" "$B" "net_memif"
fi
if want rate1500; then
    alternate "md_rate 1500" "memif 1500" && row rate1500 "message rate, 1500 B, copy" Mpps ge 1.0 "$A" "$B" "net_memif"
fi
if want rtt; then
    alternate "md_rtt poll" "floor_rtt cacheline" && row rtt "busy-poll round trip, 64 B (p50)" ns le 1.5 "$A" "$B" "cache-line ping-pong"
fi
if want bulk; then
    alternate md_bulk floor_memcpy && row bulk "bulk, 64 KiB blocks, copy" GB/s ge 0.8 "$A" "$B" "memcpy, one core"
fi
if want pipe; then
    alternate md_bulk floor_pipe && row pipe "bulk, 64 KiB blocks, copy" GB/s ge 0.8 "$A" "$B" "copy pipe, two cores"
fi
if want doorbell; then
    alternate "md_rtt doorbell" "floor_rtt eventfd" && row doorbell "doorbell round trip, 64 B (p50)" ns le 1.3 "$A" "$B" "eventfd ping-pong"
fi
if want attach; then
    # attach_bench takes its medians itself (it starts its own server with a
    # static 1 GiB domain of 4K pages); the EAL is started `runs` times.
    A=$(attach_us)
    B=
    for _ in $(seq "$runs"); do B="$B $(eal_us)"; done
    row attach "attach a 1 GiB domain" us inv 100 "$A" "$B" "rte_eal_init, 1 GiB"
fi

# === HOOK: net_memdomain vs net_memif =========================================
# The DPDK work adds its rows here: two dpdk-testpmd over net_memdomain
# against two over net_memif, 64 B and 1500 B, copy and zero-copy, on
# $cpu_a/$cpu_b, appended to "rows" with `row` (A = net_memdomain Mpps
# values, B = net_memif Mpps values, op ge, target 1.0). Until then: its
# script, when present, runs on its own.
if want dpdk && [ -x "$here/dpdk_compare.sh" ]; then
    echo "compare.sh: tests/bench/dpdk_compare.sh (net_memdomain vs net_memif):"
    CPUS=$cpus RUNS=$runs SECONDS_PER_RUN=$seconds "$here/dpdk_compare.sh" || echo "compare.sh: dpdk_compare.sh failed" >&2
fi
# === end of HOOK ==============================================================

if [ -n "$markdown" ]; then
    {
        echo "Measured $(date -u '+%Y-%m-%d') with \`tests/bench/compare.sh --runs $runs --seconds $seconds\` (CPUs $cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)); medians of $runs, (min-max):"
        echo
        echo "| what | memdomain | baseline (same run) | ratio | target | |"
        echo "| --- | --- | --- | --- | --- | --- |"
        printf '%s\n' "${rows[@]}"
    } >"$markdown"
    echo "compare.sh: table written to $markdown"
fi
