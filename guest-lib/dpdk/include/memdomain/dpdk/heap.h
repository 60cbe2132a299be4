/* libmemdomain_dpdk: this process's arena in a named memory domain as a
 * named DPDK malloc heap (DPDK 22.11). Link with `pkg-config memdomain-dpdk`.
 *
 *   rte_eal_init(argc, argv);
 *   int socket = md_dpdk_heap_attach("MainMem", NULL);   // after the EAL
 *   if (socket < 0) ... -socket is an errno, md_dpdk_last_error() says why
 *   struct rte_mempool *mp = rte_pktmbuf_pool_create("pool", 8191, 256, 0,
 *           RTE_MBUF_DEFAULT_BUF_SIZE, socket);          // inside the domain
 *   ...
 *   md_dpdk_heap_detach("MainMem", NULL);                // -EBUSY while in use
 *
 * What it does: attaches to the domain (one attachment per process and
 * domain, shared with net_memdomain ports on the same domain), formats or
 * validates its data area (memdomain/data_area.h), claims an arena of at
 * least min_bytes for this peer alone (memdomain/arena.h), creates the
 * heap, and adds exactly the arena's bytes to it. DPDK zeroes what it is
 * given (rte_malloc_heap_memory_add), which is why it is only ever given
 * this peer's own arena: no byte another peer uses.
 *
 * IOVAs of the heap's pages, by EAL IOVA mode and transport:
 *   - RTE_IOVA_VA: none (NULL): DPDK reports RTE_BAD_IOVA for the segment;
 *     vdevs and IOVA-as-VA devices use virtual addresses anyway.
 *   - RTE_IOVA_PA inside a VM (pci transport): the BAR's guest-physical
 *     address (sysfs `resource`, BAR 2) plus the page's offset in the BAR.
 *   - RTE_IOVA_PA on a host (socket transport): the page's physical address
 *     from /proc/self/pagemap (needs CAP_SYS_ADMIN, as DPDK itself does).
 * md_dpdk_heap_get_info() says which was used.
 *
 * Conventions (DPDK's): functions return a non-negative value on success
 * and a negative errno on failure, log one RTE_LOG line (logtype
 * "lib.memdomain"), and md_dpdk_last_error() holds the same message for the
 * calling thread. Attach and detach are serialised internally; call them
 * after rte_eal_init() and before rte_eal_cleanup().
 */
#ifndef MEMDOMAIN_DPDK_HEAP_H
#define MEMDOMAIN_DPDK_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "memdomain/memdomain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* DPDK's heap names are at most 31 characters. */
#define MD_DPDK_HEAP_NAME_MAX 31

struct md_dpdk_heap_options {
    const char *heap_name;  /* NULL or "": "md-<domain>" (-ENAMETOOLONG if that
                               is longer than MD_DPDK_HEAP_NAME_MAX) */
    const char *socket_dir; /* NULL or "": $MEMDOMAIN_SOCKET_DIR, else /run/memdomain */
    const char *sysfs_root; /* NULL or "": $MEMDOMAIN_SYSFS_ROOT, else /sys (in a VM) */
    int32_t transport;      /* enum md_transport (MD_TRANSPORT_AUTO) */
    int32_t reserved0;      /* 0 */
    uint64_t min_bytes;     /* arena size, rounded up to the arena slot size;
                               0: 32 MiB */
    uint64_t reserved[4];   /* 0 */
};
void md_dpdk_heap_options_init(struct md_dpdk_heap_options *opts);

/* Makes this process's arena in domain `domain` a DPDK heap and returns its
 * socket id (>= 0), for rte_malloc_socket(), rte_mempool_create(),
 * rte_pktmbuf_pool_create(), rte_ring_create(), ... A second call for the
 * same domain returns the same socket id and takes one more reference
 * (a different heap_name for it is -EEXIST; min_bytes is not grown). Errors:
 *   -EINVAL       bad domain name or options, or the EAL is not initialised
 *   -ENAMETOOLONG the heap name is too long
 *   -EEXIST       a DPDK heap of that name exists already (not ours)
 *   -EROFS        read-only access to the domain
 *   -ENOSPC       no run of free arena slots of min_bytes
 *   -EPERM        IOVA-as-PA on a host without CAP_SYS_ADMIN (pagemap)
 *   -ENOMEM, ...  DPDK's or the domain's own error (see md_last_error()) */
int md_dpdk_heap_attach(const char *domain, const struct md_dpdk_heap_options *opts);

/* Drops one reference; the last one removes the memory from DPDK, destroys
 * the heap and releases the arena. `opts` selects the same attachment as
 * attach did (socket dir, transport); NULL for the defaults. Returns 0, or
 * -ENOENT (no heap on that domain in this process), -EBUSY (objects are
 * still allocated from the heap: free them first; the reference is kept). */
int md_dpdk_heap_detach(const char *domain, const struct md_dpdk_heap_options *opts);

enum md_dpdk_iova_source {
    MD_DPDK_IOVA_NONE = 0,    /* IOVA-as-VA: no IOVAs given to DPDK */
    MD_DPDK_IOVA_PAGEMAP = 1, /* host, IOVA-as-PA: /proc/self/pagemap */
    MD_DPDK_IOVA_PCI_BAR = 2  /* VM, IOVA-as-PA: BAR 2 guest-physical + offset */
};

struct md_dpdk_heap_info {
    char heap_name[MD_DPDK_HEAP_NAME_MAX + 1];
    int32_t socket_id;
    uint32_t iova_source;   /* enum md_dpdk_iova_source */
    void *base;             /* the arena: [base, base + size) */
    uint64_t size;
    uint64_t offset;        /* data-area offset of base (the same in every peer) */
    uint64_t page_size;     /* the page size DPDK was given */
    uint64_t first_iova;    /* IOVA of base, or RTE_BAD_IOVA (all ones) */
    uint32_t references;
    uint32_t reserved0;
    uint64_t reserved[4];
};
/* Fills *out for the heap on `domain`. Returns 0, -ENOENT, -EINVAL. */
int md_dpdk_heap_get_info(const char *domain, const struct md_dpdk_heap_options *opts,
                          struct md_dpdk_heap_info *out);

/* The message of the last failure in this thread ("" if none). Never NULL. */
const char *md_dpdk_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MEMDOMAIN_DPDK_HEAP_H */
