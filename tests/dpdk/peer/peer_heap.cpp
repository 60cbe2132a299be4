// dpdk_peer heap: every kind of DPDK object made on the domain heap lands
// inside this peer's arena; the heap cannot be detached while in use.
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cinttypes>
#include <cstdio>

#include "memdomain/dpdk/heap.h"
#include "peer.h"

namespace dpdk_peer {
namespace {

struct Check {
    Range range;
    std::uint64_t inside = 0, outside = 0;
    void see(const void* p, std::uint64_t len) { ++(range.contains(p, len) ? inside : outside); }
};

void check_obj(rte_mempool* mp, void* arg, void* obj, unsigned idx) {
    (void)idx;
    static_cast<Check*>(arg)->see(obj, mp->elt_size);
}

void check_mbuf(rte_mempool* mp, void* arg, void* obj, unsigned idx) {
    (void)mp;
    (void)idx;
    auto* m = static_cast<rte_mbuf*>(obj);
    static_cast<Check*>(arg)->see(m->buf_addr, m->buf_len);
}

}  // namespace

int run_heap(const Options& o) {
    Check c;
    const int socket = attach_heap(o, &c.range);
    if (socket < 0) return 1;
    void* block = rte_malloc_socket("peer", 1 << 20, 64, socket);
    void* zblock = rte_zmalloc_socket("peer", 4096, 4096, socket);
    rte_ring* ring = rte_ring_create("peer_ring", 1024, socket, 0);
    rte_mempool* mp = rte_mempool_create("peer_mp", 1023, 512, 32, 0, nullptr, nullptr, nullptr, nullptr, socket, 0);
    rte_mempool* pkt = rte_pktmbuf_pool_create("peer_pkt", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (block == nullptr || zblock == nullptr || ring == nullptr || mp == nullptr || pkt == nullptr) {
        std::printf("ERROR allocation on socket %d failed: block=%p zblock=%p ring=%p mp=%p pkt=%p\n", socket, block,
                    zblock, static_cast<void*>(ring), static_cast<void*>(mp), static_cast<void*>(pkt));
        return 1;
    }
    c.see(block, 1 << 20);
    c.see(zblock, 4096);
    c.see(ring, rte_ring_get_memsize(1024));
    c.see(mp, sizeof(*mp));
    rte_mempool_obj_iter(mp, check_obj, &c);
    rte_mempool_obj_iter(pkt, check_mbuf, &c);
    std::printf("OBJECTS inside=%" PRIu64 " outside=%" PRIu64 "\n", c.inside, c.outside);

    md_dpdk_heap_options opts;
    md_dpdk_heap_options_init(&opts);
    opts.socket_dir = o.socket_dir.c_str();
    const int busy = md_dpdk_heap_detach(o.domain.c_str(), &opts);
    rte_free(block);
    rte_free(zblock);
    rte_ring_free(ring);
    rte_mempool_free(mp);
    rte_mempool_free(pkt);
    const int after = md_dpdk_heap_detach(o.domain.c_str(), &opts);
    md_dpdk_heap_info info;
    const int gone = md_dpdk_heap_get_info(o.domain.c_str(), &opts, &info);
    std::printf("DETACH busy=%d after=%d info_after=%d\n", busy, after, gone);
    return 0;
}

}  // namespace dpdk_peer
