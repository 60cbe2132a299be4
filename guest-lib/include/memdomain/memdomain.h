/* libmemdomain's C API: the C++ API of memdomain/domain.h for C (C99 and
 * later) and DPDK-style programs. Link with -lmemdomain.
 *
 *   struct md_domain *d;
 *   if (md_open("MainMem", NULL, &d) != 0) {
 *       fprintf(stderr, "%s\n", md_last_error());
 *       return 1;
 *   }
 *   memcpy(md_data(d), "hello", 5);
 *   md_notify(d, peer, 0);            // ring peer's vector 0
 *   md_wait(d, 0, 100);               // wait up to 100 ms on our vector 0
 *   md_close(d);
 *
 * Conventions:
 * - Functions that can fail return 0 (or a non-negative count) on success and
 *   a negative errno on failure; md_last_error() then returns a message
 *   saying what failed, in the calling thread.
 * - Every function taking a `struct md_domain *` requires a handle from
 *   md_open() that has not been closed (NULL is -EINVAL where the function
 *   returns int, else a harmless zero/NULL result).
 * - A handle is not thread-safe: use one per thread, or lock around it.
 * - Keeping up with the server: on a host (socket transport) each handle
 *   reads the server's join/leave messages on a background thread
 *   ("md-reader"), so a program that only calls md_wait(), or busy-polls
 *   md_data() and calls nothing, is never dropped by the server for not
 *   reading. md_open_ex(..., MD_OPEN_NO_READER_THREAD, ...) opts out; then
 *   every call reads what is pending (md_wait() also while it blocks), and a
 *   program that makes no call for a long time must call md_refresh()
 *   regularly. What is kept for md_peers() is bounded by the domain's
 *   max_peers however many peers come and go.
 */
#ifndef MEMDOMAIN_MEMDOMAIN_H
#define MEMDOMAIN_MEMDOMAIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An attached domain. Opaque. */
struct md_domain;

/* Which way to reach the domain. */
enum md_transport {
    MD_TRANSPORT_AUTO = 0,   /* the socket directory first, then PCI devices */
    MD_TRANSPORT_SOCKET = 1, /* "<socket_dir>/<name>.sock" (on a host) */
    MD_TRANSPORT_PCI = 2     /* ivshmem PCI devices under sysfs_root (in a VM) */
};

enum md_access { MD_ACCESS_RO = 0, MD_ACCESS_RW = 1 };

/* How md_wait() learns of a doorbell. */
enum md_interrupt_mode {
    MD_INTERRUPT_EVENTFD = 0,   /* socket transport: server-distributed eventfds */
    MD_INTERRUPT_VFIO_MSIX = 1, /* pci transport bound to vfio-pci */
    MD_INTERRUPT_POLLING = 2,   /* pci transport without vfio: mailbox polling */
    MD_INTERRUPT_NONE = 3       /* no doorbells: a read-only observer (ivshmem-plain) */
};

/* What md_self() returns when the handle has no peer id (md_has_peer_id()
 * is 0): never a valid id. */
#define MD_NO_PEER_ID 0xffffffffu
/* The most one md_wait() returns: the count comes from an eventfd or a
 * mailbox word any peer can write anything to, so it is a hint, bounded. */
#define MD_MAX_WAIT_COUNT (UINT64_C(1) << 20)

struct md_open_options {
    int transport;          /* enum md_transport */
    const char *socket_dir; /* NULL or "": $MEMDOMAIN_SOCKET_DIR, else /run/memdomain */
    const char *sysfs_root; /* NULL or "": $MEMDOMAIN_SYSFS_ROOT, else /sys */
    int timeout_ms;         /* how long to wait for the server's initial messages;
                               0 (a zeroed struct): the default, 5000 */
};

/* Fills *opts with the defaults: MD_TRANSPORT_AUTO, NULL dirs, 5000 ms.
 * NULL is ignored. */
void md_open_options_init(struct md_open_options *opts);

/* Attaches to domain `name` and stores the handle in *out (NULL on failure).
 * `opts` may be NULL (the defaults). Returns 0, or:
 *   -EINVAL     name is not a valid domain name, out is NULL, opts has an
 *               unknown transport or a negative timeout, or the segment
 *               header is invalid or belongs to another domain
 *   -ENOENT     no transport offers a domain of that name
 *   -ENODEV     a segment of the domain is missing
 *   -EEXIST     the address a segment must be mapped at (the config's
 *               vaddr) is taken in this process
 *   -EAGAIN     the domain was re-created while its segments were being
 *               opened: try again
 *   -EPROTO     the server broke the ivshmem protocol
 *   -ETIMEDOUT  the server did not send its initial messages in time
 *   -ECONNREFUSED, -ECONNRESET, -EACCES, -ENOMEM, ...: the system error of
 *               the step that failed (connect, mmap, ...)
 */
int md_open(const char *name, const struct md_open_options *opts, struct md_domain **out);

/* Flags for md_open_ex. */
#define MD_OPEN_NO_READER_THREAD 0x1u /* no background reader thread: see the
                                         conventions at the top */
/* md_open with flags (MD_OPEN_* bits; 0 is md_open). Unknown bits: -EINVAL. */
int md_open_ex(const char *name, const struct md_open_options *opts, unsigned flags, struct md_domain **out);

/* The message of the last failure in this thread ("" if none). Valid until
 * the next failing call in the same thread. Never NULL. */
const char *md_last_error(void);

/* Detaches and frees the handle; the data area is unmapped. NULL is ignored. */
void md_close(struct md_domain *d);

/* The domain's name (NUL-terminated, owned by the handle). */
const char *md_name(const struct md_domain *d);
/* The data area of segment 0 and its size in bytes (other segments:
 * md_segment()). */
void *md_data(const struct md_domain *d);
size_t md_data_size(const struct md_domain *d);
/* Segment 0's page size: 4096, 2 MiB or 1 GiB. */
uint64_t md_page_size(const struct md_domain *d);
/* MD_ACCESS_RO or MD_ACCESS_RW: whether md_data() may be written. */
int md_access(const struct md_domain *d);
/* Our own peer id (MD_NO_PEER_ID for an observer), and the number of
 * doorbell vectors per peer. */
uint32_t md_self(const struct md_domain *d);
/* 1 when the handle has a peer id of its own; 0 for a read-only observer (a
 * guest whose device is ivshmem-plain: it sees the memory and the peers,
 * read-only, and cannot ring or be rung) or a NULL handle. */
int md_has_peer_id(const struct md_domain *d);
/* The Linux thread id of the handle's background reader (to move it with
 * sched_setaffinity), or -1: none (pci transport, MD_OPEN_NO_READER_THREAD,
 * the child of a fork(), NULL handle). */
int md_reader_tid(const struct md_domain *d);
uint32_t md_vectors(const struct md_domain *d);
/* Random per domain instance: changes when the domain is re-created. */
uint64_t md_generation(const struct md_domain *d);
/* enum md_interrupt_mode. */
int md_interrupt_mode(const struct md_domain *d);

/* What one instance of a domain is (the config's "type"). */
enum md_instance_kind {
    MD_INSTANCE_SHARED = 0, /* one instance for everyone */
    MD_INSTANCE_LOCAL = 1,  /* this process's private instance */
    MD_INSTANCE_NUMA = 2    /* the instance of one NUMA node */
};
/* Bits of md_segment_info.instance_flags. */
#define MD_INSTANCE_PREFAULTED 0x1u /* every page was faulted in at creation */
#define MD_INSTANCE_CONTIGUOUS 0x2u /* physically contiguous */

/* One segment of a domain, as its header describes it. */
struct md_segment_info {
    uint32_t index;          /* 0 .. md_segment_count(d) - 1 */
    int32_t numa_node;       /* node the memory is bound to, -1 if not bound */
    void *base;              /* start of the segment (its header) */
    uint64_t size;           /* whole segment, in bytes */
    void *data;              /* start of the data area */
    uint64_t data_size;
    uint64_t page_size;      /* 4096, 2 MiB or 1 GiB */
    uint64_t map_address;    /* 0: mapped wherever the kernel chose; else the
                                address the config (vaddr) requires, == base */
    int32_t access;          /* enum md_access */
    int32_t instance_kind;   /* enum md_instance_kind */
    uint32_t instance_flags; /* MD_INSTANCE_* bits */
    uint32_t reserved0;      /* 0 */
    uint64_t reserved[6];    /* 0; later fields will take these */
};

/* The number of segments of the domain (>= 1; 0 for a NULL handle). */
uint32_t md_segment_count(const struct md_domain *d);
/* Fills *out with segment `index`. Returns 0, or -EINVAL (d or out NULL) or
 * -ERANGE (index >= md_segment_count(d)). */
int md_segment(const struct md_domain *d, uint32_t index, struct md_segment_info *out);

/* Applies pending joins/leaves, then stores up to `cap` other attached peer
 * ids, ascending, in ids[] (ids may be NULL when cap is 0). Returns the total
 * number of other peers (which may exceed cap), or -EINVAL (d NULL, or ids
 * NULL with cap > 0). */
int md_peers(struct md_domain *d, uint32_t *ids, size_t cap);

/* Rings `peer` on `vector`. Returns 0, or:
 *   -EINVAL  d is NULL or vector >= md_vectors(d)
 *   -ENOENT  no such peer is attached
 *   -EACCES  this process attached read-only (a read-only mapping cannot
 *            bump the mailbox word that guests without interrupts watch,
 *            so read-only peers ring nobody)
 *   -ENOTSUP an observer (no doorbells)
 *   other    the system error of the doorbell write
 */
int md_notify(struct md_domain *d, uint32_t peer, uint32_t vector);

/* Waits up to timeout_ms (negative: forever) for a doorbell on our own
 * `vector`. Returns the number of rings that arrived (1..MD_MAX_WAIT_COUNT,
 * coalesced), 0 on timeout, or -EINVAL (d NULL, vector out of range),
 * -ENOTSUP (an observer) or the system error of the wait. */
int64_t md_wait(struct md_domain *d, uint32_t vector, int timeout_ms);

/* A pollable fd that becomes readable when our `vector` is rung; then call
 * md_wait(d, vector, 0). -1 in polling mode or for a bad vector. Owned by
 * the handle: do not close it. */
int md_doorbell_fd(const struct md_domain *d, uint32_t vector);
/* A pollable fd that becomes readable when joins/leaves are pending (then
 * call md_peers()); -1 when the transport has none. After the server hangs
 * up it stays readable. Owned by the handle. */
int md_event_fd(const struct md_domain *d);

/* Processes pending joins/leaves and says whether the domain is still
 * served: 0, or -ECONNRESET once the server has hung up (the memory stays
 * mapped and usable), or -EINVAL for a NULL handle. */
int md_refresh(struct md_domain *d);

#ifdef __cplusplus
}
#endif

#endif /* MEMDOMAIN_MEMDOMAIN_H */
