# Scenario "leave-announce": the VM that leaves. Writes its token on the
# test board, stays attached until the host test sets go=1, then powers off
# (QEMU exits and its socket to the server closes).
#   md.domain=NAME
. /scenarios/lib.sh

attach_device
guest-scenario announce "$MD_DOMAIN" --hold-go 1 --timeout-ms 40000 || fail "guest-scenario announce failed"
exit 0
