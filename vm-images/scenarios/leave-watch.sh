# Scenario "leave-watch": stays attached and watches another VM come and go.
#   md.domain=NAME
# guest-scenario watch-leave reports watching=<id> once the other VM's token
# is on the test board and it is in peers(), then saw_leave=<id> when the
# presence table no longer lists it (and left_event=yes|no from events()).
. /scenarios/lib.sh

attach_device
guest-scenario watch-leave "$MD_DOMAIN" --timeout-ms 40000 || fail "guest-scenario watch-leave failed"
exit 0
