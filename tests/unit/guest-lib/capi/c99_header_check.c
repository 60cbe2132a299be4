/* memdomain.h must compile as strict C99 (-std=c99 -pedantic-errors). */
#include "memdomain/memdomain.h"
#include "capi_client.h"

int c99_defaults_ok(void) {
    struct md_open_options o;
    md_open_options_init(&o);
    return o.transport == MD_TRANSPORT_AUTO && o.socket_dir == NULL && o.sysfs_root == NULL && o.timeout_ms == 5000;
}
