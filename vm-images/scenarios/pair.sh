# Scenario "pair": one of two (or more) VMs on the same domain.
#   md.domain=NAME  md.vms=N (default 2)  md.count=PINGS (default 20)
# 1. bind the ivshmem device to vfio-pci, memdomain-info NAME (opens BY NAME);
# 2. guest-scenario exchange: write a token, read the other VM's token, ring
#    it on vector 0 and receive its ring as an MSI-X interrupt;
# 3. a VM-to-VM round-trip measurement with memdomain-ping: the VM with the
#    lower peer id is the pong; the other waits until the host test sets the
#    test board's go word to 2 (after it saw "pong: ... ready" on the pong's
#    console), so no ping can reach a pong that is not listening yet.
. /scenarios/lib.sh

attach_device
run_logged /tmp/exchange guest-scenario exchange "$MD_DOMAIN" --vms "${MD_VMS:-2}" ||
    fail "guest-scenario exchange: $(tail -n 1 /tmp/exchange)"
self=$(kv_from /tmp/exchange self)
other=$(sed -n 's/.*MDTEST-KV: read_from_\([0-9]*\)=.*/\1/p' /tmp/exchange | head -n 1)
[ -n "$self" ] && [ -n "$other" ] || fail "guest-scenario exchange did not report self and a peer"

count=${MD_COUNT:-20}
if [ "$self" -lt "$other" ]; then
    kv ping_role pong
    step "pong for peer $other ($count pings)"
    # Straight to the console: the host test waits for the "ready" line.
    memdomain-ping "$MD_DOMAIN" --role pong --count "$count" --timeout-ms 20000 ||
        fail "memdomain-ping pong exited with $?"
else
    kv ping_role ping
    run_logged /tmp/go guest-scenario wait-go "$MD_DOMAIN" 2 || fail "waiting for go: $(tail -n 1 /tmp/go)"
    run_logged /tmp/ping memdomain-ping "$MD_DOMAIN" --role ping --peer "$other" --count "$count" \
        --timeout-ms 5000 || fail "memdomain-ping ping to peer $other: $(tail -n 1 /tmp/ping)"
    report_ping /tmp/ping vm_ping || fail "memdomain-ping printed no summary line"
fi
exit 0
