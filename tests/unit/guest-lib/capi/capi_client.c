/* The C API exercised from C11. See capi_client.h. */
#include "capi_client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "memdomain/memdomain.h"

#define CHECK(cond)               \
    do {                          \
        if (!(cond)) {            \
            rc = -__LINE__;       \
            goto out;             \
        }                         \
    } while (0)

static struct md_open_options socket_options(const char *dir) {
    struct md_open_options o;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = dir;
    o.timeout_ms = 3000;
    return o;
}

int c_describe(const char *socket_dir, const char *name, struct c_description *out) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *d = NULL;
    int rc = md_open(name, &o, &d);
    if (rc != 0) return rc;
    CHECK(d != NULL);
    strncpy(out->name, md_name(d), sizeof out->name - 1);
    out->data_size = md_data_size(d);
    out->page_size = md_page_size(d);
    out->access = md_access(d);
    out->interrupt_mode = md_interrupt_mode(d);
    out->self = md_self(d);
    out->vectors = md_vectors(d);
    out->generation = md_generation(d);
    CHECK(md_data(d) != NULL);
    CHECK(md_doorbell_fd(d, 0) >= 0);
    CHECK(md_doorbell_fd(d, out->vectors) == -1);
    CHECK(md_event_fd(d) >= 0);
out:
    md_close(d);
    return rc;
}

int c_open_missing(const char *socket_dir, const char *name) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *d = (struct md_domain *)&o; /* must be overwritten with NULL */
    int rc = md_open(name, &o, &d);
    if (d != NULL) return -__LINE__;
    if (rc == 0 || md_last_error()[0] == '\0') return -__LINE__;
    return rc;
}

/* Waits until `d` sees `count` other peers; returns md_peers' last answer. */
static int wait_for_peers(struct md_domain *d, int count, uint32_t *ids, size_t cap) {
    int n = md_peers(d, ids, cap);
    for (int i = 0; i < 100 && n >= 0 && n < count; ++i) {
        struct pollfd p = {md_event_fd(d), POLLIN, 0};
        poll(&p, 1, 30);
        n = md_peers(d, ids, cap);
    }
    return n;
}

int c_two_handles_talk(const char *socket_dir, const char *name) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *a = NULL, *b = NULL;
    uint32_t ids[4] = {0};
    int rc = 0;
    CHECK(md_open(name, &o, &a) == 0);
    CHECK(md_open(name, &o, &b) == 0);
    CHECK(md_access(a) == MD_ACCESS_RW);
    CHECK(wait_for_peers(a, 1, ids, 4) == 1);
    CHECK(ids[0] == md_self(b));
    CHECK(md_peers(a, NULL, 0) == 1);
    memcpy(md_data(a), "from C", 7);
    CHECK(strcmp((const char *)md_data(b), "from C") == 0);
    CHECK(md_notify(a, md_self(b), 1) == 0);
    CHECK(md_wait(b, 1, 2000) == 1);
    CHECK(md_wait(b, 0, 0) == 0);
    CHECK(md_wait(b, 1, 10) == 0);
out:
    md_close(b);
    md_close(a);
    return rc;
}

int c_argument_errors(const char *socket_dir, const char *name) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *d = NULL;
    int rc = 0;
    CHECK(md_open(NULL, &o, &d) == -EINVAL);
    CHECK(md_open(name, &o, NULL) == -EINVAL);
    CHECK(md_open("no/slashes", &o, &d) == -EINVAL);
    o.transport = 77;
    CHECK(md_open(name, &o, &d) == -EINVAL);
    o.transport = MD_TRANSPORT_SOCKET;
    CHECK(md_open(name, &o, &d) == 0);
    CHECK(md_notify(d, md_self(d) + 1, md_vectors(d)) == -EINVAL);
    CHECK(strstr(md_last_error(), "vector") != NULL);
    CHECK(md_notify(d, 1000, 0) == -ENOENT);
    CHECK(md_wait(d, md_vectors(d), 0) == -EINVAL);
    CHECK(md_peers(d, NULL, 3) == -EINVAL);
    CHECK(md_notify(NULL, 0, 0) == -EINVAL);
out:
    md_close(d);
    return rc;
}

int c_zeroed_options_open(const char *socket_dir, const char *name) {
    struct md_open_options o = {0};
    struct md_domain *d = NULL;
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = socket_dir;
    int rc = md_open(name, &o, &d);
    md_close(d);
    return rc;
}

int c_refresh_after_server_death(const char *socket_dir, const char *name, void (*kill_server)(void *), void *ctx) {
    struct md_open_options o;
    struct md_domain *d = NULL;
    int rc, i;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = socket_dir;
    if (md_open(name, &o, &d) != 0) return -1000;
    if (md_refresh(d) != 0) {
        md_close(d);
        return -1001;
    }
    kill_server(ctx);
    rc = 0;
    for (i = 0; i < 300 && rc == 0; ++i) {
        struct pollfd p;
        p.fd = md_event_fd(d);
        p.events = POLLIN;
        p.revents = 0;
        poll(&p, 1, 10);
        rc = md_refresh(d);
    }
    md_close(d);
    return rc;
}

int c_segment_info(const char *socket_dir, const char *name) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *d = NULL;
    struct md_segment_info s;
    size_t i;
    int rc = md_open(name, &o, &d);
    if (rc != 0) return rc;
    CHECK(md_segment_count(d) == 1);
    memset(&s, 0xff, sizeof s);
    CHECK(md_segment(d, 0, &s) == 0);
    CHECK(s.index == 0);
    CHECK(s.data == md_data(d));
    CHECK(s.data_size == md_data_size(d));
    CHECK(s.page_size == md_page_size(d));
    CHECK(s.access == md_access(d));
    CHECK((char *)s.base < (char *)s.data && (char *)s.data + s.data_size == (char *)s.base + s.size);
    CHECK(s.map_address == 0);
    CHECK(s.instance_kind == MD_INSTANCE_SHARED);
    CHECK(s.numa_node >= -1);
    CHECK((s.instance_flags & ~(MD_INSTANCE_PREFAULTED | MD_INSTANCE_CONTIGUOUS)) == 0);
    CHECK(s.reserved0 == 0);
    for (i = 0; i < sizeof s.reserved / sizeof s.reserved[0]; ++i) CHECK(s.reserved[i] == 0);
    CHECK(md_segment(d, 1, &s) == -ERANGE);
    CHECK(md_last_error()[0] != '\0');
    CHECK(md_segment(d, 0, NULL) == -EINVAL);
    CHECK(md_segment(NULL, 0, &s) == -EINVAL);
    CHECK(md_segment_count(NULL) == 0);
out:
    md_close(d);
    return rc;
}

int c_open_ex_reader_flags(const char *socket_dir, const char *name) {
    struct md_open_options o = socket_options(socket_dir);
    struct md_domain *with = NULL, *without = NULL, *other = NULL, *bad = (struct md_domain *)&o;
    uint32_t ids[4];
    int rc = 0;
    CHECK(md_open(name, &o, &with) == 0);
    CHECK(md_has_peer_id(with) == 1);
    CHECK(md_self(with) != MD_NO_PEER_ID);
    CHECK(md_reader_tid(with) > 0);
    CHECK(md_open_ex(name, &o, MD_OPEN_NO_READER_THREAD, &without) == 0);
    CHECK(md_reader_tid(without) == -1);
    CHECK(md_has_peer_id(without) == 1);
    CHECK(md_open_ex(name, &o, 0x40u, &bad) == -EINVAL);
    CHECK(bad == NULL);
    CHECK(md_open(name, &o, &other) == 0);
    /* Without a reader the calls read what the server sent: the handle
     * opened before it and the one after are both seen. */
    for (int i = 0; i < 300 && md_peers(without, ids, 4) < 2; ++i) CHECK(md_wait(without, 0, 10) >= 0);
    CHECK(md_peers(without, ids, 4) == 2);
    CHECK(md_has_peer_id(NULL) == 0);
    CHECK(md_reader_tid(NULL) == -1);
out:
    md_close(other);
    md_close(without);
    md_close(with);
    return rc;
}
