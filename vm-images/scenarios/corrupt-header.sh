# Scenario "corrupt-header": the host test has overwritten the segment
# header (magic, name) before this guest boots. memdomain-info must refuse
# with a clear error and a normal exit status, not crash:
#   info_status=<exit status>  info_error=<its last line of output>
#   list_status=<status of the listing (memdomain-info without NAME)>
# The scenario passes when memdomain-info NAME failed cleanly (status 1 or 2);
# the host test checks the error text.
#   md.domain=NAME
. /scenarios/lib.sh

require MD_DOMAIN
dev=$(first_ivshmem) || exit 1
bind_vfio "$dev"
run_logged /tmp/list memdomain-info
kv list_status $?
run_logged /tmp/info memdomain-info "$MD_DOMAIN"
status=$?
kv info_status "$status"
kv info_error "$(tail -n 1 /tmp/info)"
case "$status" in
0) fail "memdomain-info accepted a corrupted header" ;;
1 | 2) exit 0 ;;
*) fail "memdomain-info ended with status $status (a crash?)" ;;
esac
