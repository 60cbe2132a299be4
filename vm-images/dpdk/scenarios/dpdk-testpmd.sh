# dpdk-testpmd over net_memdomain on this guest's ivshmem device (the DPDK
# guest image: build-dpdk-guest-image.sh). No -d: the EAL loads the driver
# from DPDK's plugin directory. IOVA-as-VA with --no-huge: the domain's BAR is
# mapped by libmemdomain through sysfs resource2, no vfio needed (doorbells
# poll; testpmd polls anyway).
#   md.domain=NAME    the domain
#   md.mode=txonly    send for md.seconds, then stop and report tx_packets
#   md.mode=rxonly    receive until the link has come up and gone down again
#                     (the sender stopped: its stop drains the channel
#                     first), then stop and report rx_packets
#   md.frame=N        frame size (txonly), default 64
. /scenarios/lib.sh

export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
[ -n "${MD_DOMAIN:-}" ] || fail "md.domain is not set"
mode=${MD_MODE:-}
case "$mode" in txonly | rxonly) ;; *) fail "md.mode must be txonly or rxonly" ;; esac
frame=${MD_FRAME:-64}
seconds=${MD_SECONDS:-3}
dev=$(first_ivshmem)
echo 1 >"/sys/bus/pci/devices/$dev/enable" 2>/dev/null || true
kv ivshmem "$dev"

log=/tmp/testpmd.log
step "dpdk-testpmd $mode on domain $MD_DOMAIN"
# Two lcores on the guest's one CPU: the main one sleeps between stats.
# --no-flush-rx: testpmd would otherwise drop (uncounted) what arrived before
# it started forwarding.
dpdk-testpmd --lcores 0@0,1@0 --main-lcore 0 --no-huge -m 128 --no-shconf --no-pci --no-telemetry \
    --iova-mode=va --log-level pmd.net.memdomain:info \
    --vdev "net_memdomain0,domain=$MD_DOMAIN,ring-size=256,arena-size=8" -- \
    --forward-mode="$mode" --txpkts="$frame" --total-num-mbufs=2048 --stats-period 1 --auto-start \
    --nb-cores=1 --no-flush-rx >"$log" 2>&1 &
pid=$!

events() {
    n=$(grep -c "link state change" "$log" 2>/dev/null)
    echo "${n:-0}"
}
# wait_events N SECONDS: until testpmd has printed N link events.
wait_events() {
    n=0
    while [ "$(events)" -lt "$1" ]; do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log"; fail "dpdk-testpmd exited early"; }
        n=$((n + 1))
        [ "$n" -le $(($2 * 10)) ] || { tail -n 20 "$log"; fail "no link event $1 within $2 s"; }
        sleep 0.1
    done
}

wait_events 1 60
step "link up"
if [ "$mode" = txonly ]; then
    sleep "$seconds"
else
    wait_events 2 120
    step "link down: the sender has stopped"
fi
kill -INT "$pid"
wait "$pid"
rc=$?
grep -q "Forward statistics for port 0" "$log" || { tail -n 30 "$log"; fail "dpdk-testpmd printed no statistics (exit $rc)"; }
block=$(grep -A 3 "Forward statistics for port 0" "$log" | tail -n 3)
rx=$(echo "$block" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
tx=$(echo "$block" | sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
kv rx_packets "$rx"
kv tx_packets "$tx"
grep "net_memdomain" "$log" | head -n 5 | while read -r line; do step "$line"; done
[ "$rc" -eq 0 ] || fail "dpdk-testpmd exited with $rc"
