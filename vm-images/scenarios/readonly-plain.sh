# Scenario "readonly-plain": a VM that maps a domain read-only through
# ivshmem-plain (QEMU: memory-backend-file,readonly=on; no doorbells, no
# MSI-X). It reads a word the host wrote, tries to overwrite it through
# /dev/mem (a writable mapping of the BAR, as any guest code could make),
# and reads it again: the write must not land. Then memdomain-info NAME
# opens the domain by name: a read-only observer without a peer id.
#   md.domain=NAME  md.offset=N (byte offset into the BAR of the host's
#   64-bit word)  md.poke=HEX (the value the guest tries to write)
. /scenarios/lib.sh

require MD_DOMAIN
require MD_OFFSET
dev=$(first_ivshmem) || exit 1
sys=/sys/bus/pci/devices/$dev
kv ivshmem_dev "$dev"
kv bar1_size "$(bar_size "$dev" 1)"
kv bar2_size "$(bar_size "$dev" 2)"
echo 1 >"$sys/enable" || fail "cannot enable $dev"
set -- $(sed -n 3p "$sys/resource")
addr=$(printf '0x%x' $(($1 + MD_OFFSET)))
step "the host's word at $addr"
kv ro_read "$(devmem "$addr" 64)"
devmem "$addr" 64 "${MD_POKE:-0x5757575757575757}" 2>/tmp/poke
kv ro_poke_status "$?"
kv ro_after_poke "$(devmem "$addr" 64)"
run_logged /tmp/info memdomain-info "$MD_DOMAIN" || fail "memdomain-info $MD_DOMAIN failed: $(tail -n 1 /tmp/info)"
kv info_domain "$(sed -n 's/^name: *//p' /tmp/info)"
kv info_access "$(sed -n 's/^access: *//p' /tmp/info)"
kv info_self "$(sed -n 's/^self: *//p' /tmp/info)"
kv info_role "$(sed -n 's/^role: *\([a-z]*\).*/\1/p' /tmp/info)"
exit 0
