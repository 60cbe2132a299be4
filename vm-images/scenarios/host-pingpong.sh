# Scenario "host-pingpong": a VM and a host process ring each other.
#   md.domain=NAME  md.host_peer=ID (the host's memdomain-ping pong)
#   md.count=PINGS (default 20)
# 1. bind + memdomain-info NAME;
# 2. pong for the host: answer exactly `count` pings from a host
#    memdomain-ping, which the host test starts once it sees "pong: ...
#    ready" here (VM <- host);
# 3. ping the host's pong `count` times (VM -> host).
. /scenarios/lib.sh

attach_device
require MD_HOST_PEER
count=${MD_COUNT:-20}
step "pong for the host ($count pings)"
memdomain-ping "$MD_DOMAIN" --role pong --count "$count" --timeout-ms 20000 ||
    fail "memdomain-ping pong exited with $?"
run_logged /tmp/ping memdomain-ping "$MD_DOMAIN" --role ping --peer "$MD_HOST_PEER" --count "$count" \
    --timeout-ms 5000 || fail "memdomain-ping ping to host peer $MD_HOST_PEER: $(tail -n 1 /tmp/ping)"
report_ping /tmp/ping vm_to_host || fail "memdomain-ping printed no summary line"
exit 0
