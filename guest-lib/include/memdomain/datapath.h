/* libmemdomain's data-path C API (C11): per-peer arenas, named objects and
 * SPSC packet channels inside a domain opened with md_open()
 * (memdomain/memdomain.h). The C++ API is memdomain/data_area.h, arena.h,
 * directory.h and channel.h; their comments describe the layout and the
 * protocols, this header the calls.
 *
 *   struct md_area *a;  struct md_arena *ar;  struct md_arena_info ai;
 *   md_area_attach(dom, NULL, &a);             // formats on first use
 *   md_arena_claim(a, 64 << 20, &ar);          // >= 64 MiB, page aligned
 *   md_arena_get_info(ar, &ai);                // ai.base, ai.offset, ai.size
 *   // e.g. rte_malloc_heap_memory_add(heap, ai.base, ai.size, NULL, 0,
 *   //                                 ai.va_alignment)
 *
 *   struct md_chan_config cfg;  md_chan_config_init(&cfg);
 *   struct md_chan *tx;  md_chan_create(a, ar, "link0", &cfg, &tx);
 *   // the other end (another process, or a VM):  md_chan_open(a2, "link0", &rx);
 *
 * Conventions (as memdomain.h):
 * - Functions that can fail return 0 (or a non-negative count) on success
 *   and a negative errno on failure; md_last_error() then says what failed,
 *   in the calling thread. Each function lists its errnos; -EINVAL for a
 *   NULL handle or pointer argument is not repeated everywhere.
 * - Offsets are from the start of segment 0's data area (md_data()), the
 *   same in every peer; pointers are this process's only.
 * - Handles are not thread-safe: one thread per handle. Channels of one
 *   md_area may run on different threads (their doorbell rings are
 *   serialised on the md_domain), each sleeping on its own vector; do not
 *   call md_notify/md_wait on that md_domain from other threads meanwhile.
 * - Lifetimes: md_domain outlives md_area, which outlives its arenas and
 *   channels; a producer's arena outlives its channels.
 */
#ifndef MEMDOMAIN_DATAPATH_H
#define MEMDOMAIN_DATAPATH_H

#include <stddef.h>
#include <stdint.h>

#include "memdomain/memdomain.h"

#ifdef __cplusplus
extern "C" {
#endif

struct md_area;  /* segment 0's data area, formatted for the data path */
struct md_arena; /* this peer's claimed arena */
struct md_chan;  /* one end of a channel */

/* ---- the data area ------------------------------------------------------ */

struct md_area_options {
    uint32_t directory_slots; /* formatter only; 0: 128, at most 65536 */
    uint32_t format_foreign;  /* 1: format over bytes that are not a layout */
    uint64_t arena_slot_size; /* formatter only; 0: auto (page size, >= 1 MiB, <= 4096 slots) */
    int32_t format_wait_ms;   /* wait for a concurrent formatter; 0: 5000 */
    uint32_t reserved0;       /* 0 */
    uint64_t reserved[4];     /* 0 */
};
void md_area_options_init(struct md_area_options *opts);

/* Validates segment 0's data area of `d`, formatting it if it is empty.
 * `opts` may be NULL. Returns 0, or:
 *   -EBADMSG     the area holds bytes that are not a valid layout (and
 *                format_foreign is 0), or its superblock disagrees with the
 *                geometry this peer computes
 *   -EPROTONOSUPPORT  another layout version
 *   -EROFS       unformatted, and this peer is read-only
 *   -ENOTSUP     the server keeps no per-peer join epochs
 *   -ENOSPC      the data area is too small for the layout
 *   -EINVAL      bad options
 *   -ETIMEDOUT   another live peer kept formatting for format_wait_ms
 *   -EOWNERDEAD  this peer is not present in the segment header */
int md_area_attach(struct md_domain *d, const struct md_area_options *opts, struct md_area **out);
/* Frees the handle (arenas and channels made from it must be gone). NULL is
 * ignored. */
void md_area_detach(struct md_area *a);

struct md_area_info {
    uint64_t data_size;          /* bytes in the data area */
    uint64_t page_size;          /* segment 0's page size */
    uint64_t directory_offset;
    uint64_t arena_table_offset;
    uint64_t arena_offset;       /* first arena slot */
    uint64_t arena_slot_size;
    uint32_t directory_slots;
    uint32_t arena_slots;
    uint32_t self_id;            /* our peer id and join epoch */
    uint32_t self_epoch;
    uint32_t formatted_here;     /* 1 if this attach formatted the area */
    uint32_t reserved0;
    uint64_t reserved[4];
};
/* Returns 0 (or -EINVAL). */
int md_area_get_info(const struct md_area *a, struct md_area_info *out);
/* 1 if peer `id` is attached with join epoch `epoch`, else 0. */
int md_area_is_live(const struct md_area *a, uint32_t id, uint32_t epoch);
/* Frees arena slots of peers that are gone. Returns how many, or -EROFS. */
int md_area_reclaim_stale(struct md_area *a);

/* ---- arenas ------------------------------------------------------------- */

struct md_arena_info {
    void *base;             /* md_data() + offset */
    uint64_t offset;        /* data-area offset, page aligned from the segment start */
    uint64_t size;          /* bytes: a multiple of the slot size (and of page_size) */
    uint64_t page_size;     /* the segment's page size */
    uint64_t va_alignment;  /* largest power of two <= page_size dividing base */
    uint32_t first_slot;
    uint32_t slot_count;
    uint64_t reserved[4];
};

/* Claims the first run of free (or dead peers') arena slots holding at least
 * min_bytes (0: one slot). Returns 0, or:
 *   -EROFS       read-only peer
 *   -ENOSPC      no such run is free
 *   -EOWNERDEAD  our own attachment is no longer live */
int md_arena_claim(struct md_area *a, uint64_t min_bytes, struct md_arena **out);
/* Returns 0 (or -EINVAL). */
int md_arena_get_info(const struct md_arena *ar, struct md_arena_info *out);
/* Allocates from the arena (bookkeeping is private to this process; do not
 * mix with handing the same arena to another allocator such as a DPDK heap).
 * align: a power of two, 0 means 64. Stores the data-area offset in *offset.
 * Returns 0, or -EINVAL (size 0, bad align), -ENOMEM (no room), -ENXIO
 * (released). */
int md_arena_alloc(struct md_arena *ar, uint64_t size, uint64_t align, uint64_t *offset);
/* Returns 0, or -EINVAL (not an allocated offset), -ENXIO (released). */
int md_arena_free(struct md_arena *ar, uint64_t offset);
/* 1 while the claim still names us and we are live, else 0. */
int md_arena_owned(const struct md_arena *ar);
/* Releases the claim and frees the handle. NULL is ignored. */
void md_arena_release(struct md_arena *ar);

/* ---- the directory ------------------------------------------------------ */

#define MD_DIR_NAME_MAX 63
#define MD_DIR_TYPE_CHANNEL 0x4d444368u /* "MDCh": md_chan_create's entries */

struct md_dir_entry {
    char name[MD_DIR_NAME_MAX + 1]; /* NUL-terminated */
    uint64_t offset;                /* data-area offset */
    uint64_t size;
    uint32_t type;
    uint32_t slot;
    uint32_t owner_id;
    uint32_t owner_epoch;
    int32_t live;                   /* 1: owner attached with that epoch */
    uint32_t reserved0;
};

/* Publishes name -> [offset, offset + size). Returns 0, or:
 *   -EINVAL  bad name (1..63 printable ASCII, no spaces) or range
 *   -EEXIST  a live entry of that name exists
 *   -ENOSPC  the directory is full of live entries
 *   -EROFS   read-only peer
 *   -EAGAIN  a concurrent publisher of the same name is stuck: retry
 *   -EOWNERDEAD  our own attachment is no longer live */
int md_dir_publish(struct md_area *a, const char *name, uint64_t offset, uint64_t size, uint32_t type);
/* Fills *out with the live entry `name`. Returns 0, -ENOENT, -EINVAL. */
int md_dir_lookup(const struct md_area *a, const char *name, struct md_dir_entry *out);
/* Withdraws our own entry `name`, or a dead owner's. Returns 0, -ENOENT,
 * -EPERM (a live peer's), -EROFS, -EINVAL. */
int md_dir_withdraw(struct md_area *a, const char *name);
/* Withdraws every entry of a dead owner. Returns how many, or -EROFS. */
int md_dir_withdraw_stale(struct md_area *a);
/* Stores up to cap valid entries (live or not) in out. Returns the total
 * number (may exceed cap). */
int md_dir_list(const struct md_area *a, struct md_dir_entry *out, size_t cap);

/* ---- channels ----------------------------------------------------------- */

enum md_chan_mode {
    MD_CHAN_COPY = 0,     /* payload in a slot of the channel per ring entry */
    MD_CHAN_ZERO_COPY = 1 /* descriptors point into the producer's arena */
};

struct md_chan_config {
    uint32_t slots;            /* entries per ring: power of two, 2..32768 (512) */
    uint32_t mode;             /* enum md_chan_mode (MD_CHAN_COPY) */
    uint32_t slot_payload;     /* copy: largest message, 1..65536 (2048) */
    uint32_t pool_buffers;     /* zero-copy: library pool buffers, 0: none (0) */
    uint32_t pool_buffer_size; /* multiple of 64 (2048) */
    uint32_t consumer_vector;  /* doorbell vectors the ends sleep on (0, 0) */
    uint32_t producer_vector;
    uint32_t inline_payload;   /* zero-copy: send_copy puts messages up to this
                                  size in their ring entry's slot (0: none) */
    uint64_t memory_offset;    /* 0: allocate the rings from the arena; else
                                  build them in place there (64-byte aligned,
                                  md_chan_memory_size() bytes, inside the arena) */
    uint64_t pool_offset;      /* likewise for the pool */
    uint32_t posted;           /* zero-copy: buffers the consumer may lend at
                                  once (md_chan_post), up to slots; 0: none */
    uint32_t reserved0;
    uint64_t reserved[3];
};
void md_chan_config_init(struct md_chan_config *cfg);
/* Bytes the rings of cfg take; 0 if cfg is invalid or NULL. */
uint64_t md_chan_memory_size(const struct md_chan_config *cfg);

/* One message; layout identical to memdomain::Message. Producer: a buffer in
 * its arena plus its own cookie. Consumer: the payload in place (until
 * md_chan_release) and an opaque cookie to pass back unchanged. */
struct md_msg {
    void *data;
    uint64_t offset;
    uint32_t length;
    uint16_t flags;    /* carried end to end */
    uint16_t origin;   /* consumer: MD_MSG_LENT, MD_MSG_IN_SLOT, MD_MSG_POSTED */
    uint64_t cookie;
};
#define MD_MSG_LENT 0    /* in the producer's arena: md_chan_release it */
#define MD_MSG_IN_SLOT 1 /* in its ring entry's slot: valid until md_chan_consume */
#define MD_MSG_POSTED 2  /* in a buffer this consumer posted (cookie as posted) */

/* Producer: builds the channel in `ar` and publishes it as `name`. cfg may be
 * NULL (the defaults). Returns 0, or -EINVAL (bad config or name), -ENOMEM
 * (the arena is too small), -EEXIST (name taken), -ENOSPC (directory full),
 * -EROFS. */
int md_chan_create(struct md_area *a, struct md_arena *ar, const char *name, const struct md_chan_config *cfg,
                   struct md_chan **out);
/* Consumer: attaches to the channel `name`. Returns 0, or -ENOENT, -EPROTO
 * (not a channel, or an invalid header), -EPROTONOSUPPORT, -EBUSY (a consumer
 * is attached, or a dead one is not recovered yet), -EOWNERDEAD (the producer
 * is gone), -EROFS. */
int md_chan_open(struct md_area *a, const char *name, struct md_chan **out);
/* Producer: withdraws the name and frees the rings. Consumer: detaches.
 * NULL is ignored. */
void md_chan_close(struct md_chan *ch);

/* 1 for a producer end, 0 for a consumer end. */
int md_chan_is_producer(const struct md_chan *ch);
/* Fills *out with the channel's config (as created). Returns 0. */
int md_chan_get_config(const struct md_chan *ch, struct md_chan_config *out);

/* Producer. Each returns how many messages it took from the front (0 when
 * the ring is full), or:
 *   -EPERM    called on the wrong end or mode
 *   -EMSGSIZE (send_copy) a message exceeds the slot or pool buffer
 *   -ENOBUFS  (send_copy, alloc in zero-copy) no pool
 *   -EINVAL   (send) a range outside the producer's arena; nothing sent
 *   -EBADMSG  the consumer's index in shared memory is corrupt */
int md_chan_send_copy(struct md_chan *ch, const void *const *bufs, const uint32_t *lens, uint32_t n);
int md_chan_alloc(struct md_chan *ch, struct md_msg *out, uint32_t n);
int md_chan_send(struct md_chan *ch, const struct md_msg *msgs, uint32_t n);
/* Returns how many released messages it stored (producer's own fields). */
int md_chan_reclaim(struct md_chan *ch, struct md_msg *out, uint32_t cap);
/* Producer, zero-copy: messages of md_chan_send that md_chan_reclaim has not
 * given back yet (0: it has nothing to give, and a poll loop may skip it;
 * 0 for a consumer end or a NULL handle). Reads no shared memory. */
uint32_t md_chan_outstanding(const struct md_chan *ch);
/* Returns 0, or -EINVAL (not a free-able pool buffer; nothing changes). */
int md_chan_free(struct md_chan *ch, const struct md_msg *msgs, uint32_t n);
/* Producer: messages sent that the consumer has not taken yet (0 for a
 * consumer end or a NULL handle). */
uint32_t md_chan_unread(const struct md_chan *ch);
/* After the consumer died: takes back what it held (through md_chan_reclaim)
 * and frees the consumer end. Returns how many messages, or -EBUSY (the
 * consumer is live). */
int md_chan_recover(struct md_chan *ch);

/* Consumer. Each returns how many messages (0: empty), or -EPERM (wrong
 * end or mode), -EBADMSG (corrupt producer index). recv_copy copies each
 * message into bufs[i] (truncated to caps[i]) and stores its full length in
 * lens[i]. */
int md_chan_recv_copy(struct md_chan *ch, void *const *bufs, const uint32_t *caps, uint32_t *lens, uint32_t n);
int md_chan_recv(struct md_chan *ch, struct md_msg *out, uint32_t cap);
/* md_chan_peek shows up to cap messages without taking them: those in their
 * ring entry's slot (copy mode; zero-copy inline) have cookie
 * MD_CHAN_INLINE_COOKIE and are valid until md_chan_consume, which takes
 * everything the last peek showed; zero-copy ones in place stay valid until
 * md_chan_release. peek returns how many; consume returns 0, or -EINVAL
 * (nothing peeked since the last consume, recv or recv_copy). */
#define MD_CHAN_INLINE_COOKIE UINT64_MAX
int md_chan_peek(struct md_chan *ch, struct md_msg *out, uint32_t cap);
int md_chan_consume(struct md_chan *ch);
/* Posting (a channel made with cfg.posted): lends the producer buffers of
 * this consumer's own (offset, length = capacity, cookie; each inside the
 * arenas and outside the producer's arena). They come back filled through
 * md_chan_peek with origin MD_MSG_POSTED and their cookie. Returns how many
 * were posted, or -EPERM (no posting), -EINVAL (a bad range: nothing
 * posted). md_chan_recv and md_chan_recv_copy are -EPERM while buffers are
 * lent. md_chan_lent stores up to cap buffers still lent (for a clean stop)
 * and returns how many. */
int md_chan_post(struct md_chan *ch, const struct md_msg *bufs, uint32_t n);
int md_chan_lent(const struct md_chan *ch, struct md_msg *out, uint32_t cap);
/* Hands all n messages back, or none. Returns 0, or -EPERM (wrong end or
 * mode), -EINVAL (n exceeds the ring), -EAGAIN (the return ring is full: the
 * producer is not reclaiming), -EBADMSG (corrupt producer index). */
int md_chan_release(struct md_chan *ch, const struct md_msg *msgs, uint32_t n);

/* Sleeping. md_chan_wait blocks up to timeout_ms (negative: forever) until
 * the consumer has a message / the producer has room or returns: 1, or 0 on
 * timeout, or a negative errno of the doorbell wait.
 * For event loops: md_chan_arm announces that this end sleeps and re-checks:
 * 1 = sleep now on md_chan_doorbell_fd(), 0 = work is pending, do not sleep.
 * md_chan_disarm (after waking, or instead of sleeping) clears it and drains
 * the doorbell; then poll the channel. md_chan_doorbell_fd is the domain's
 * doorbell fd for this end's vector (-1 in polling mode). */
int md_chan_wait(struct md_chan *ch, int timeout_ms);
int md_chan_arm(struct md_chan *ch);
void md_chan_disarm(struct md_chan *ch);
int md_chan_doorbell_fd(const struct md_chan *ch);
/* 1 if the other end is attached and live, else 0. */
int md_chan_peer_alive(const struct md_chan *ch);

struct md_chan_stats {
    uint64_t messages; /* sent or received */
    uint64_t bytes;
    uint64_t returned; /* reclaimed or released */
    uint64_t invalid;  /* malformed entries or returns dropped */
    uint64_t wakeups;  /* doorbells rung */
    uint64_t sleeps;   /* doorbell waits */
    uint64_t posted;   /* filled into posted buffers, or posted */
    uint64_t reserved[1];
};
/* Returns 0. */
int md_chan_get_stats(const struct md_chan *ch, struct md_chan_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* MEMDOMAIN_DATAPATH_H */
