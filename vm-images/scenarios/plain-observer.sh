# Scenario "plain-observer": the read-only VM attach. The guest's only
# ivshmem device is ivshmem-plain on the server's read-only namespace entry
# (memory-backend-file,readonly=on). memdomain-info must call it a read-only
# observer without a peer id; guest-scenario observe reads the host's tokens
# and writes through a read-write mapping of its own, which must not land.
#   md.domain=NAME md.go=V
# Reports: ivshmem_dev, bar1_size (0: no MSI-X table), config_status (PCI
# status register: bit 4 = capability list), info_role, info_self,
# info_access, info_interrupt_mode, and guest-scenario observe's facts.
. /scenarios/lib.sh

require MD_DOMAIN
require MD_GO
dev=$(first_ivshmem) || exit 1
kv ivshmem_dev "$dev"
kv bar1_size "$(bar_size "$dev" 1)"
kv config_status "0x$(dd if="/sys/bus/pci/devices/$dev/config" bs=1 skip=6 count=1 2>/dev/null | od -An -tx1 | tr -d ' ')"
run_logged /tmp/info memdomain-info "$MD_DOMAIN" ||
    fail "memdomain-info $MD_DOMAIN failed: $(tail -n 1 /tmp/info)"
kv info_role "$(sed -n 's/^role: *\([a-z]*\).*/\1/p' /tmp/info)"
kv info_self "$(sed -n 's/^self: *//p' /tmp/info)"
kv info_access "$(sed -n 's/^access: *//p' /tmp/info)"
kv info_interrupt_mode "$(sed -n 's/^interrupt mode: *//p' /tmp/info)"
run_logged /tmp/list memdomain-info || fail "memdomain-info (listing) failed: $(tail -n 1 /tmp/list)"
kv list_has_domain "$(grep -c "^$MD_DOMAIN " /tmp/list)"
guest-scenario observe "$MD_DOMAIN" --device "$dev" --hold-go "$MD_GO" --timeout-ms 40000 ||
    fail "guest-scenario observe failed"
exit 0
