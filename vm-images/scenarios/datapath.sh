# Scenario "datapath": one end of a memdomain-bench channel in this VM (the
# data path over the pci transport: the channel lives in BAR2, doorbells are
# vfio MSI-X interrupts).
#   md.domain=NAME  md.role=tx|rx|ping|pong  md.count=N (senders)
#   md.mode=copy|zero-copy  md.wait=poll|doorbell  md.size=BYTES
# Reports the tool's JSON result as bench_json.
. /scenarios/lib.sh

attach_device
require MD_ROLE
run_logged /tmp/bench memdomain-bench "$MD_ROLE" --domain "$MD_DOMAIN" --transport pci --json \
    --count "${MD_COUNT:-1000}" --mode "${MD_MODE:-copy}" --wait "${MD_WAIT:-doorbell}" \
    --size "${MD_SIZE:-64}" --slots 64 --timeout-ms 60000
rc=$?
kv bench_json "$(grep '^{' /tmp/bench | tail -n 1)"
[ "$rc" -eq 0 ] || fail "memdomain-bench $MD_ROLE exited with $rc: $(tail -n 1 /tmp/bench)"
exit 0
