# Scenario "exchange": one of several peers (VMs and host processes) on one
# domain: bind the device to vfio-pci, memdomain-info NAME (opens BY NAME),
# then guest-scenario exchange: write a token on the test board, read every
# other peer's, ring each on vector 0 and receive a ring as an MSI-X
# interrupt.
#   md.domain=NAME  md.vms=N (peers in all, host ones included; default 2)
. /scenarios/lib.sh

attach_device
run_logged /tmp/exchange guest-scenario exchange "$MD_DOMAIN" --vms "${MD_VMS:-2}" --timeout-ms 40000 ||
    fail "guest-scenario exchange: $(tail -n 1 /tmp/exchange)"
exit 0
