# Helpers shared by the guest scenarios (sourced, not run). /init runs a
# scenario; the scenario reports facts with kv, failures with fail, and exits
# 0 on success. See ../init for the marker lines and ../README.md.

step() { echo "MDTEST-STEP: $*"; }
kv() { echo "MDTEST-KV: $1=$2"; }

# fail REASON: records why (for /init's MDTEST-RESULT line) and exits.
fail() {
    echo "$*" >"${MDTEST_REASON:-/tmp/mdtest-reason}"
    echo "MDTEST-STEP: failing: $*"
    exit 1
}

# The PCI addresses of every ivshmem device (1af4:1110), one per line.
ivshmem_devices() {
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] && basename "$d"
    done
}

# The first ivshmem device, or fail.
first_ivshmem() {
    dev=$(ivshmem_devices | head -n 1)
    [ -n "$dev" ] || fail "no ivshmem PCI device (1af4:1110) in the guest"
    echo "$dev"
}

# Size in bytes of BAR n of device $1, from sysfs `resource` (start end flags).
bar_size() {
    set -- $(sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource")
    if [ $(($2)) -gt $(($1)) ]; then echo $(($2 - $1 + 1)); else echo 0; fi
}

# Binds device $1 to vfio-pci the kernel's way, in shell: driver_override,
# unbind from a current driver, drivers_probe. No memdomain code involved.
bind_vfio_shell() {
    dev=$1
    sys=/sys/bus/pci/devices/$dev
    cur=
    [ -e "$sys/driver" ] && cur=$(basename "$(readlink "$sys/driver")")
    if [ "$cur" != vfio-pci ]; then
        echo vfio-pci >"$sys/driver_override" || fail "cannot set driver_override on $dev"
        [ -z "$cur" ] || echo "$dev" >"$sys/driver/unbind" || fail "cannot unbind $dev from $cur"
        echo "$dev" >/sys/bus/pci/drivers_probe 2>/dev/null
    fi
    check_vfio_bound "$dev"
}

# Binds device $1 to vfio-pci with the guest tools' helper
# (memdomain-vfio-bind), so the tests take the same path as real guests;
# in shell when the image has no helper.
bind_vfio() {
    if ! command -v memdomain-vfio-bind >/dev/null; then
        bind_vfio_shell "$1"
        return
    fi
    run_logged /tmp/bind memdomain-vfio-bind "$1" || fail "memdomain-vfio-bind $1: $(tail -n 1 /tmp/bind)"
    check_vfio_bound "$1"
}

# Fails unless device $1 is on vfio-pci with its VFIO group node present.
check_vfio_bound() {
    sys=/sys/bus/pci/devices/$1
    [ -e "$sys/driver" ] || fail "vfio-pci did not bind $1 (no IOMMU? check intel_iommu=on and -device intel-iommu)"
    cur=$(basename "$(readlink "$sys/driver")")
    [ "$cur" = vfio-pci ] || fail "$1 bound to $cur instead of vfio-pci"
    group=$(basename "$(readlink "$sys/iommu_group")")
    [ -c "/dev/vfio/$group" ] || fail "no /dev/vfio/$group for $1"
    step "bound $1 to vfio-pci (iommu group $group)"
}

# Runs a command with its output on the console, saving it in $1 too; returns
# the command's status. Usage: run_logged FILE cmd args...
run_logged() {
    out=$1
    shift
    step "run: $*"
    "$@" >"$out" 2>&1
    rc=$?
    sed 's/^/  | /' "$out"
    return $rc
}

# Fails unless variable $1 (an md.* kernel argument) is set.
require() {
    eval "[ -n \"\${$1:-}\" ]" || fail "kernel argument md.$(echo "${1#MD_}" | tr 'A-Z_' 'a-z.') is required"
}

# The common start of every domain scenario: the first ivshmem device bound
# to vfio-pci, then memdomain-info $MD_DOMAIN, whose answer is reported as
# info_self, info_interrupt_mode and info_peers.
attach_device() {
    require MD_DOMAIN
    dev=$(first_ivshmem) || exit 1
    kv ivshmem_dev "$dev"
    bind_vfio "$dev"
    run_logged /tmp/info memdomain-info "$MD_DOMAIN" ||
        fail "memdomain-info $MD_DOMAIN failed: $(tail -n 1 /tmp/info)"
    kv info_self "$(sed -n 's/^self: *//p' /tmp/info)"
    kv info_interrupt_mode "$(sed -n 's/^interrupt mode: *//p' /tmp/info)"
    kv info_peers "$(sed -n 's/^peers: *//p' /tmp/info | tr ' ' ',')"
}

# The value of MDTEST-KV key $2 in file $1 (the last one).
kv_from() {
    sed -n "s/.*MDTEST-KV: $2=//p" "$1" | tail -n 1
}

# memdomain-ping's summary line ("ping: N round trips, min A us, median B
# us, max C us") from file $1, reported as ping_<what>_us facts.
report_ping() {
    line=$(grep 'round trips' "$1" | tail -n 1)
    [ -n "$line" ] || return 1
    kv "${2}_round_trips" "$(echo "$line" | sed -n 's/^ping: \([0-9]*\) round trips.*/\1/p')"
    kv "${2}_min_us" "$(echo "$line" | sed -n 's/.*min \([0-9.]*\) us.*/\1/p')"
    kv "${2}_median_us" "$(echo "$line" | sed -n 's/.*median \([0-9.]*\) us.*/\1/p')"
    kv "${2}_max_us" "$(echo "$line" | sed -n 's/.*max \([0-9.]*\) us.*/\1/p')"
}
