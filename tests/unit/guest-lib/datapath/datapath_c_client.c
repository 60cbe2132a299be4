/* The data path's C API exercised from C11. See datapath_c_client.h. */
#include "datapath_c_client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "memdomain/datapath.h"

#define CHECK(cond)               \
    do {                          \
        if (!(cond)) {            \
            rc = -__LINE__;       \
            goto out;             \
        }                         \
    } while (0)

static int open_two(const char *dir, const char *name, struct md_domain **a, struct md_domain **b) {
    struct md_open_options o;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = dir;
    int rc = md_open(name, &o, a);
    if (rc != 0) return rc;
    rc = md_open(name, &o, b);
    if (rc != 0) md_close(*a);
    return rc;
}

static int attach(struct md_domain *d, struct md_area **out) {
    struct md_area_options o;
    md_area_options_init(&o);
    o.arena_slot_size = 65536;
    return md_area_attach(d, &o, out);
}

int dp_c_arena_and_directory(const char *dir, const char *name) {
    struct md_domain *da = NULL, *db = NULL;
    struct md_area *a = NULL, *b = NULL;
    struct md_arena *ar = NULL;
    int rc = open_two(dir, name, &da, &db);
    if (rc != 0) return rc;
    CHECK(attach(da, &a) == 0);
    CHECK(attach(db, &b) == 0);
    struct md_area_info ia, ib;
    CHECK(md_area_get_info(a, &ia) == 0 && md_area_get_info(b, &ib) == 0);
    CHECK(ia.formatted_here == 1 && ib.formatted_here == 0);
    CHECK(ia.arena_offset == ib.arena_offset && ia.arena_slot_size == 65536);
    CHECK(ia.self_id == md_self(da) && ia.self_epoch != 0);
    CHECK(md_area_is_live(b, ia.self_id, ia.self_epoch) == 1);
    CHECK(md_area_is_live(b, ia.self_id, ia.self_epoch + 1) == 0);

    CHECK(md_arena_claim(a, 200000, &ar) == 0);
    struct md_arena_info info;
    CHECK(md_arena_get_info(ar, &info) == 0);
    CHECK(info.size == 4 * 65536 && info.slot_count == 4);
    CHECK((char *)info.base == (char *)md_data(da) + info.offset);
    CHECK(info.va_alignment == md_page_size(da));
    CHECK(((uintptr_t)info.base % info.va_alignment) == 0);
    CHECK(md_arena_owned(ar) == 1);
    uint64_t off = 0;
    CHECK(md_arena_alloc(ar, 1000, 0, &off) == 0);
    CHECK(off >= info.offset && off + 1000 <= info.offset + info.size);
    CHECK(md_arena_free(ar, off + 8) == -EINVAL && strlen(md_last_error()) > 0);
    CHECK(md_arena_free(ar, off) == 0);

    CHECK(md_dir_publish(a, "c.thing", info.offset, 4096, 42) == 0);
    CHECK(md_dir_publish(b, "c.thing", info.offset, 64, 1) == -EEXIST);
    struct md_dir_entry e;
    CHECK(md_dir_lookup(b, "c.thing", &e) == 0);
    CHECK(strcmp(e.name, "c.thing") == 0 && e.offset == info.offset && e.size == 4096 && e.type == 42);
    CHECK(e.owner_id == ia.self_id && e.owner_epoch == ia.self_epoch && e.live == 1);
    CHECK(md_dir_lookup(b, "c.none", &e) == -ENOENT);
    CHECK(md_dir_withdraw(b, "c.thing") == -EPERM);
    struct md_dir_entry all[4];
    CHECK(md_dir_list(b, all, 4) == 1);
    CHECK(md_dir_withdraw(a, "c.thing") == 0);
    CHECK(md_dir_list(b, NULL, 0) == 0);
    CHECK(md_dir_withdraw_stale(b) == 0);
    CHECK(md_area_reclaim_stale(b) == 0);
    rc = 0;
out:
    md_arena_release(ar);
    md_area_detach(b);
    md_area_detach(a);
    md_close(db);
    md_close(da);
    return rc;
}

int dp_c_channels(const char *dir, const char *name) {
    struct md_domain *da = NULL, *db = NULL;
    struct md_area *a = NULL, *b = NULL;
    struct md_arena *ar = NULL;
    struct md_chan *tx = NULL, *rx = NULL, *ztx = NULL, *zrx = NULL, *ptx = NULL, *prx = NULL;
    struct md_arena *br = NULL;
    int rc = open_two(dir, name, &da, &db);
    if (rc != 0) return rc;
    CHECK(attach(da, &a) == 0 && attach(db, &b) == 0);
    CHECK(md_arena_claim(a, 4 * 65536, &ar) == 0);

    struct md_chan_config cfg;
    md_chan_config_init(&cfg);
    CHECK(cfg.slots == 512 && cfg.mode == MD_CHAN_COPY && cfg.slot_payload == 2048);
    cfg.slots = 16;
    cfg.slot_payload = 100;
    CHECK(md_chan_memory_size(&cfg) == 512 + 16 * 16 + 16 * 192); /* descriptors, then 3-line slots */
    CHECK(md_chan_create(a, ar, "c.copy", &cfg, &tx) == 0);
    CHECK(md_chan_is_producer(tx) == 1);
    CHECK(md_chan_open(b, "c.copy", &rx) == 0);
    CHECK(md_chan_is_producer(rx) == 0 && md_chan_peer_alive(rx) == 1 && md_chan_peer_alive(tx) == 1);
    const char *hello = "hello", *world = "world!";
    const void *bufs[2] = {hello, world};
    uint32_t lens[2] = {5, 6};
    CHECK(md_chan_arm(rx) == 1);
    CHECK(md_chan_send_copy(tx, bufs, lens, 2) == 2);
    struct pollfd p = {md_chan_doorbell_fd(rx), POLLIN, 0};
    CHECK(p.fd >= 0 && poll(&p, 1, 3000) == 1);
    md_chan_disarm(rx);
    char in0[16], in1[3];
    void *ins[2] = {in0, in1};
    uint32_t caps[2] = {sizeof in0, sizeof in1}, got[2];
    CHECK(md_chan_recv_copy(rx, ins, caps, got, 2) == 2);
    CHECK(got[0] == 5 && memcmp(in0, "hello", 5) == 0);
    CHECK(got[1] == 6 && memcmp(in1, "wor", 3) == 0); /* truncated, full length reported */
    CHECK(md_chan_wait(rx, 10) == 0);
    struct md_chan_stats st;
    CHECK(md_chan_get_stats(tx, &st) == 0 && st.messages == 2 && st.bytes == 11 && st.wakeups == 1);
    /* Peek, then consume: the payload seen in its slot. */
    struct md_msg pk[2];
    CHECK(md_chan_consume(rx) == -EINVAL);
    CHECK(md_chan_send_copy(tx, bufs, lens, 1) == 1);
    CHECK(md_chan_peek(rx, pk, 2) == 1 && pk[0].length == 5 && memcmp(pk[0].data, "hello", 5) == 0);
    CHECK(md_chan_consume(rx) == 0 && md_chan_unread(tx) == 0);
    CHECK(md_chan_peek(tx, pk, 2) == -EPERM);

    struct md_chan_config z;
    md_chan_config_init(&z);
    z.mode = MD_CHAN_ZERO_COPY;
    z.slots = 8;
    z.pool_buffers = 4;
    z.pool_buffer_size = 256;
    CHECK(md_chan_create(a, ar, "c.zero", &z, &ztx) == 0);
    CHECK(md_chan_open(b, "c.zero", &zrx) == 0);
    struct md_msg m[4];
    CHECK(md_chan_alloc(ztx, m, 4) == 4);
    for (int i = 0; i < 4; ++i) {
        memset(m[i].data, 'a' + i, 10);
        m[i].length = 10;
        m[i].flags = (uint16_t)i;
        m[i].cookie = 100 + (uint64_t)i;
    }
    CHECK(md_chan_outstanding(ztx) == 0); /* pool buffers taken, none sent */
    CHECK(md_chan_send(ztx, m, 4) == 4);
    CHECK(md_chan_outstanding(ztx) == 4 && md_chan_outstanding(zrx) == 0 && md_chan_outstanding(NULL) == 0);
    struct md_msg r[4];
    CHECK(md_chan_recv(zrx, r, 4) == 4);
    CHECK(md_chan_peek(zrx, pk, 2) == 0 && md_chan_consume(zrx) == 0); /* recv took them all */
    for (int i = 0; i < 4; ++i) {
        CHECK(r[i].length == 10 && r[i].flags == i && ((char *)r[i].data)[9] == 'a' + i);
        CHECK((char *)r[i].data == (char *)md_data(db) + m[i].offset);
    }
    CHECK(md_chan_release(zrx, r, 4) == 0);
    struct md_msg back[4];
    CHECK(md_chan_outstanding(ztx) == 4); /* released, not reclaimed yet */
    CHECK(md_chan_reclaim(ztx, back, 4) == 4);
    CHECK(md_chan_outstanding(ztx) == 0);
    for (int i = 0; i < 4; ++i) CHECK(back[i].cookie == 100 + (uint64_t)i);
    CHECK(md_chan_free(ztx, back, 4) == 0);
    CHECK(md_chan_free(ztx, back, 1) == -EINVAL); /* free already */
    struct md_chan_config seen;
    CHECK(md_chan_get_config(zrx, &seen) == 0 && seen.slots == 8 && seen.mode == MD_CHAN_ZERO_COPY);
    CHECK(md_chan_recover(ztx) == -EBUSY);

    /* Posting: the consumer lends a buffer of its own arena; the producer
     * copies a message into it; peek shows it with its cookie. */
    struct md_chan_config pc;
    md_chan_config_init(&pc);
    pc.mode = MD_CHAN_ZERO_COPY;
    pc.slots = 8;
    pc.posted = 2;
    CHECK(md_chan_create(a, ar, "c.post", &pc, &ptx) == 0);
    CHECK(md_chan_open(b, "c.post", &prx) == 0);
    CHECK(md_chan_get_config(prx, &seen) == 0 && seen.posted == 2);
    CHECK(md_arena_claim(b, 65536, &br) == 0);
    struct md_msg lend = {0};
    CHECK(md_arena_alloc(br, 256, 64, &lend.offset) == 0);
    lend.length = 256;
    lend.cookie = 7;
    CHECK(md_chan_post(tx, &lend, 1) == -EPERM); /* the producer's end */
    CHECK(md_chan_post(rx, &lend, 1) == -EPERM); /* a channel without posting */
    struct md_msg theirs = m[0];                  /* in the producer's arena */
    CHECK(md_chan_post(prx, &theirs, 1) == -EINVAL);
    CHECK(md_chan_post(prx, &lend, 1) == 1 && md_chan_lent(prx, pk, 2) == 1 && pk[0].cookie == 7);
    CHECK(md_chan_send_copy(ptx, bufs, lens, 1) == 1);
    CHECK(md_chan_recv(prx, r, 1) == -EPERM); /* a buffer is lent: peek/consume only */
    CHECK(md_chan_peek(prx, pk, 2) == 1 && pk[0].origin == MD_MSG_POSTED && pk[0].cookie == 7 && pk[0].length == 5);
    CHECK((char *)pk[0].data == (char *)md_data(db) + lend.offset && memcmp(pk[0].data, "hello", 5) == 0);
    CHECK(md_chan_consume(prx) == 0 && md_chan_lent(prx, pk, 2) == 0);
    CHECK(md_chan_get_stats(ptx, &st) == 0 && st.posted == 1);
    CHECK(md_chan_get_stats(prx, &st) == 0 && st.posted == 1);
    rc = 0;
out:
    md_chan_close(prx);
    md_chan_close(ptx);
    md_arena_release(br);
    md_chan_close(zrx);
    md_chan_close(ztx);
    md_chan_close(rx);
    md_chan_close(tx);
    md_arena_release(ar);
    md_area_detach(b);
    md_area_detach(a);
    md_close(db);
    md_close(da);
    return rc;
}

int dp_c_argument_errors(const char *dir, const char *name) {
    struct md_domain *da = NULL, *db = NULL;
    struct md_area *a = NULL, *b = NULL;
    struct md_arena *ar = NULL;
    struct md_chan *tx = NULL, *rx = NULL;
    int rc = open_two(dir, name, &da, &db);
    if (rc != 0) return rc;
    CHECK(md_area_attach(NULL, NULL, &a) == -EINVAL && a == NULL);
    CHECK(md_area_attach(da, NULL, NULL) == -EINVAL);
    struct md_area_options o;
    md_area_options_init(&o);
    o.format_wait_ms = -1;
    CHECK(md_area_attach(da, &o, &a) == -EINVAL);
    CHECK(attach(da, &a) == 0 && attach(db, &b) == 0);
    CHECK(md_arena_claim(NULL, 0, &ar) == -EINVAL);
    CHECK(md_arena_claim(a, (uint64_t)1 << 40, &ar) == -ENOSPC && ar == NULL);
    CHECK(md_arena_claim(a, 0, &ar) == 0);
    CHECK(md_arena_alloc(ar, 0, 0, NULL) == -EINVAL);
    uint64_t off;
    CHECK(md_arena_alloc(ar, 64, 3, &off) == -EINVAL);
    CHECK(md_dir_publish(a, "bad name", 0, 64, 0) == -EINVAL);
    CHECK(md_dir_lookup(a, NULL, NULL) == -EINVAL);
    struct md_chan_config cfg;
    md_chan_config_init(&cfg);
    cfg.mode = 9;
    CHECK(md_chan_memory_size(&cfg) == 0);
    CHECK(md_chan_create(a, ar, "c.bad", &cfg, &tx) == -EINVAL && tx == NULL);
    md_chan_config_init(&cfg);
    cfg.slots = 8;
    cfg.slot_payload = 64;
    CHECK(md_chan_create(a, ar, "c.ok", &cfg, &tx) == 0);
    CHECK(md_chan_open(b, "c.ok", &rx) == 0);
    struct md_msg m[1];
    CHECK(md_chan_send(tx, m, 1) == -EPERM);  /* copy mode */
    CHECK(md_chan_recv(rx, m, 1) == -EPERM);
    CHECK(md_chan_reclaim(rx, m, 1) == -EPERM); /* consumer end */
    const void *bufs[1] = {"x"};
    uint32_t lens[1] = {1};
    CHECK(md_chan_send_copy(rx, bufs, lens, 1) == -EPERM);
    lens[0] = 65;
    CHECK(md_chan_send_copy(tx, bufs, lens, 1) == -EMSGSIZE);
    CHECK(md_chan_send_copy(tx, NULL, NULL, 1) == -EINVAL);
    CHECK(md_chan_recover(rx) == -EPERM);
    CHECK(md_chan_doorbell_fd(NULL) == -1 && md_chan_peer_alive(NULL) == 0);
    struct md_chan *second = NULL;
    CHECK(md_chan_open(b, "c.ok", &second) == -EBUSY && second == NULL);
    rc = 0;
out:
    md_chan_close(rx);
    md_chan_close(tx);
    md_arena_release(ar);
    md_area_detach(b);
    md_area_detach(a);
    md_close(db);
    md_close(da);
    return rc;
}
