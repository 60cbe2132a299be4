# Scenario "hotplug": ivshmem devices come and go while the guest runs
# (memdomainctl attach / detach on the host). For each round in md.rounds
# (comma-separated, default "doorbell"): wait for a device to appear, open the domain by name
# (a doorbell device bound to vfio-pci first), report "<round>_opened=yes",
# then wait for the device to disappear and report "<round>_gone=yes".
#   md.domain=NAME  md.rounds=doorbell,plain  md.wait=SECONDS per step (60)
. /scenarios/lib.sh

require MD_DOMAIN
wait_s=${MD_WAIT:-60}

# wait_devices present|absent: polls the PCI bus every 0.2 s.
wait_devices() {
    n=0
    while [ $n -lt $((wait_s * 5)) ]; do
        if [ -n "$(ivshmem_devices)" ]; then [ "$1" = present ] && return 0
        else [ "$1" = absent ] && return 0; fi
        sleep 0.2
        n=$((n + 1))
    done
    return 1
}

for round in $(echo "${MD_ROUNDS:-doorbell}" | tr ',' ' '); do
    step "round $round: waiting for a device"
    wait_devices present || fail "round $round: no ivshmem device appeared within ${wait_s}s"
    dev=$(first_ivshmem) || exit 1
    kv "${round}_dev" "$dev"
    kv "${round}_bar1" "$(bar_size "$dev" 1)"
    if [ "$round" = doorbell ]; then
        bind_vfio "$dev"
    else
        echo 1 >"/sys/bus/pci/devices/$dev/enable"
    fi
    run_logged /tmp/info memdomain-info "$MD_DOMAIN" ||
        fail "round $round: memdomain-info $MD_DOMAIN failed: $(tail -n 1 /tmp/info)"
    kv "${round}_info_domain" "$(sed -n 's/^name: *//p' /tmp/info)"
    kv "${round}_opened" yes
    wait_devices absent || fail "round $round: the device did not go away within ${wait_s}s"
    kv "${round}_gone" yes
done
exit 0
