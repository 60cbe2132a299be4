// net_memdomain's bursts over the data-path channels.
//
//   Copy mode (zero-copy=no): Tx copies each frame into its ring entry's
//   payload slot; Rx peeks the ready messages in their slots, allocates as
//   many mbufs from the queue's pool and copies each payload out. Two
//   copies, as net_memif's copy mode.
//   Zero-copy (zero-copy=yes): Tx sends an mbuf in place when its data lies
//   in this process's arena (an mbuf pool made on the domain's heap:
//   md_dpdk_heap_attach) and holds it until the other end hands it back;
//   a frame of at most kInlineFrame bytes is copied into its ring entry's
//   slot (as in copy mode: nothing comes back), any other into a channel
//   pool buffer. Rx copies small frames out and attaches each other one to
//   an mbuf as an external buffer (no copy at all), handing it back to the
//   producer when the application frees that mbuf, on whatever lcore,
//   through an MP/SC ring the next Rx burst drains; what goes back travels
//   with the next burst's consume, under one fence.
//   Posted buffers (zero-copy at both ends): Rx lends the producer mbufs of
//   its own pool on our domain heap (ChannelConsumer::post), and Tx copies
//   frames that can neither go in place nor in an inline slot into them,
//   ahead of pool buffers: one copy, the Rx side hands the filled mbufs to the
//   application as they are, and nothing travels back, as net_memif's
//   zero-copy receive. Frames sent in place still go in place.
//
// Every burst holds its queue's lock, which only the monitor (swapping the
// channel, never spinning) and the Rx interrupt calls take otherwise:
// queues on different lcores never contend. Doorbells the channels ring are
// serialised by the DataArea. (A lock-free gate in the style of net_vhost's
// allow_queuing flags measured no faster: the copies' stores dominate.)
#include <rte_malloc.h>
#include <rte_memcpy.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "log.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

// Keeps q->stash full; returns how many mbufs it holds.
std::uint16_t refill(RxQueue* q) {
    if (q->stashed < kBurst) {
        const unsigned want = kBurst - q->stashed;
        if (rte_pktmbuf_alloc_bulk(q->mp, &q->stash[q->stashed], want) == 0) q->stashed = kBurst;
    }
    if (q->stashed == 0) ++q->nombuf;
    return q->stashed;
}

void take_from_stash(RxQueue* q, std::uint16_t k) {
    std::copy(q->stash.begin() + k, q->stash.begin() + q->stashed, q->stash.begin());
    q->stashed -= k;
}

// A received frame of `len` bytes in m, counted.
void set_frame(RxQueue* q, rte_mbuf* m, std::uint16_t len) {
    m->port = q->port->port_id;
    m->data_len = len;
    m->pkt_len = len;
    q->bytes += len;
}

// Copy Rx (a copy-mode port, whatever the other end sends): the ready
// messages are peeked, as many mbufs allocated, each payload copied once,
// and the messages consumed; those a zero-copy producer lent (not in a
// slot) go back with the consume. Nothing is prepared for messages that are
// not there; when the pool is empty the messages stay on the ring.
std::uint16_t rx_copy(RxQueue* q, rte_mbuf** pkts, std::uint16_t n) {
    n = std::min(n, kBurst);
    auto& msgs = q->msgs;
    auto got = q->ch->peek({msgs.data(), n});
    if (!got || *got == 0) return 0;
    const auto k = static_cast<std::uint16_t>(*got);
    if (rte_pktmbuf_alloc_bulk(q->mp, pkts, k) != 0) {
        ++q->nombuf;
        return 0;
    }
    std::uint16_t out = 0, nback = 0;
    for (std::uint16_t i = 0; i < k; ++i) {
        if (msgs[i].cookie != kChannelInlineCookie) q->back[nback++] = msgs[i];
        rte_mbuf* m = pkts[i];
        // Bounded by the channel (its slot, or the producer's arena); an
        // mbuf too small for it, or an empty message, is not a frame we can
        // deliver.
        const std::uint32_t len = msgs[i].length;
        if (len == 0 || len > rte_pktmbuf_tailroom(m)) {
            ++q->oversized;
            rte_pktmbuf_free(m);
            continue;
        }
        // DPDK's own copy: a fifth faster here than the C library's for
        // 1500-byte frames out of lines another core just wrote.
        rte_memcpy(rte_pktmbuf_mtod(m, void*), msgs[i].data, len);
        set_frame(q, m, static_cast<std::uint16_t>(len));
        pkts[out++] = m;
    }
    // A failed hand-back (EAGAIN: the producer is not reclaiming) must not
    // show the frames again: they are consumed anyway.
    if (!q->ch->consume({q->back.data(), nback})) (void)q->ch->consume();
    q->packets += out;
    return out;
}

void zc_mbuf_freed(void* addr, void* opaque) {
    (void)addr;
    auto* slot = static_cast<RxQueue::ZcSlot*>(opaque);
    // Never fails: the ring holds every slot index at once.
    (void)rte_ring_mp_enqueue(slot->q->zc_done, slot);
}

// Adds to q->back what the application has freed since the last burst
// (messages of the consumer that is open now; an older consumer's slot is
// only recycled). It all goes back with this burst's consume, under one
// fence.
void zc_collect(RxQueue* q) {
    std::array<void*, kBurst> done;
    const auto room = static_cast<unsigned>(std::min<std::size_t>(kBurst, q->back.size() - q->nback));
    const unsigned n = rte_ring_sc_dequeue_burst(q->zc_done, done.data(), room, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        auto* slot = static_cast<RxQueue::ZcSlot*>(done[i]);
        if (q->ch && slot->generation == q->generation) q->back[q->nback++] = slot->msg;
        q->zc_free.push_back(static_cast<std::uint32_t>(slot - q->zc.data()));
    }
}

// Tops up what we lend the producer (in batches of kPostBatch or more, up
// to the ring size), from our pool on the domain heap.
void post_buffers(RxQueue* q) {
    const std::uint32_t target = q->ch->config().posted;
    if (q->nposted + kPostBatch > target) return;
    const auto n = static_cast<std::uint16_t>(std::min<std::uint32_t>(target - q->nposted, kBurst));
    std::array<rte_mbuf*, kBurst> ms;
    if (rte_pktmbuf_alloc_bulk(q->post_mp, ms.data(), n) != 0) return;  // all lent or in the application
    const DomainHeap& heap = *q->port->heap;
    for (std::uint16_t i = 0; i < n; ++i) {
        void* data = rte_pktmbuf_mtod(ms[i], void*);
        q->posts[i] = Message{data, heap.offset_of(data), rte_pktmbuf_tailroom(ms[i]), 0, 0,
                              reinterpret_cast<std::uint64_t>(ms[i])};
    }
    auto r = q->ch->post({q->posts.data(), n});
    const std::uint16_t k = r ? static_cast<std::uint16_t>(*r) : 0;
    if (k < n) rte_pktmbuf_free_bulk(&ms[k], n - k);
    q->nposted += k;
}

std::uint16_t rx_zero_copy(RxQueue* q, rte_mbuf** pkts, std::uint16_t n) {
    zc_collect(q);
    if (q->ch_posting) post_buffers(q);
    // Bounded by the mbufs at hand (every frame may need one), the free
    // slots, and the room left in q->back for this burst's copied frames.
    n = std::min<std::uint16_t>({n, kBurst, refill(q),
                                 static_cast<std::uint16_t>(std::min<std::size_t>(q->zc_free.size(), kBurst)),
                                 static_cast<std::uint16_t>(q->back.size() - q->nback)});
    auto& msgs = q->msgs;
    auto got = q->ch->peek({msgs.data(), n});
    if (!got) return 0;
    const std::uint16_t k = static_cast<std::uint16_t>(*got);
    std::uint16_t out = 0, used = 0;
    for (std::uint16_t i = 0; i < k; ++i) {
        if (msgs[i].origin == kMessagePosted) {
            // One of our mbufs, filled (the library bounds the length by
            // what we lent, and the cookie is our own record).
            rte_mbuf* m = reinterpret_cast<rte_mbuf*>(msgs[i].cookie);
            --q->nposted;
            ++q->posted_rx;
            set_frame(q, m, static_cast<std::uint16_t>(msgs[i].length));
            pkts[out++] = m;
            continue;
        }
        rte_mbuf* m = q->stash[used++];
        // The length is bounded by the channel (its slot, or the producer's
        // arena) and by a frame's size here.
        const std::uint16_t len = static_cast<std::uint16_t>(std::min<std::uint32_t>(msgs[i].length, kMaxFrame));
        const bool in_slot = msgs[i].origin == kMessageInSlot;
        if ((in_slot || len <= kInlineFrame) && len <= rte_pktmbuf_tailroom(m)) {
            // Small frames (in their slot, or lent by a producer that does
            // not inline them): copied, and a lent one goes back below.
            rte_memcpy(rte_pktmbuf_mtod(m, void*), msgs[i].data, len);
            if (!in_slot) q->back[q->nback++] = msgs[i];
        } else if (in_slot) {  // its slot is reused, so it cannot be attached: too big for the mbuf
            ++q->oversized;
            rte_pktmbuf_free(m);
            continue;
        } else {
            const std::uint32_t idx = q->zc_free.back();
            q->zc_free.pop_back();
            RxQueue::ZcSlot& s = q->zc[idx];
            s.msg = msgs[i];
            s.generation = q->generation;
            s.shinfo.free_cb = zc_mbuf_freed;
            s.shinfo.fcb_opaque = &s;
            rte_mbuf_ext_refcnt_set(&s.shinfo, 1);
            rte_pktmbuf_attach_extbuf(m, msgs[i].data, RTE_BAD_IOVA, len, &s.shinfo);
            ++q->zero_copy;
        }
        set_frame(q, m, len);
        pkts[out++] = m;
    }
    // Takes the messages off the ring and hands back, under one fence, what
    // was freed or copied; on failure (EAGAIN: the producer is not
    // reclaiming) q->back stays for the next burst.
    if (q->ch->consume({q->back.data(), q->nback})) q->nback = 0;
    else (void)q->ch->consume();
    take_from_stash(q, used);
    q->packets += out;
    return out;
}

// Copies a (possibly multi-segment) frame into dst; returns its length.
std::uint32_t linearize(const rte_mbuf* m, std::uint8_t* dst) {
    std::uint32_t at = 0;
    for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
        std::memcpy(dst + at, rte_pktmbuf_mtod(s, const std::uint8_t*), s->data_len);
        at += s->data_len;
    }
    return at;
}

// Frees leading oversized frames (counted, reported as sent); returns how many.
std::uint16_t drop_oversized(TxQueue* q, rte_mbuf** pkts, std::uint16_t n) {
    std::uint16_t i = 0;
    while (i < n && pkts[i]->pkt_len > kMaxFrame) {
        ++q->oversized;
        rte_pktmbuf_free(pkts[i++]);
    }
    return i;
}

// Zero-copy Tx: whether a frame goes in place (single-segment, in our
// arena, bigger than an inline frame: a small one costs less copied into
// its slot than lent and handed back).
bool goes_in_place(const DomainHeap& heap, const rte_mbuf* m) {
    return m->nb_segs == 1 && m->data_len > kInlineFrame && heap.contains(rte_pktmbuf_mtod(m, const void*), m->data_len);
}

// One batch of copy Tx (send_copy: into the entries' slots in Copy mode and
// for small frames in ZeroCopy mode, else into buffers the other end posted
// or library pool buffers):
// frames up to the next oversized one, the 9th multi-segment one, or
// (stop_at_in_place) one that can go in place.
// Returns how many frames were taken.
std::uint16_t tx_copy_batch(TxQueue* q, rte_mbuf** pkts, std::uint16_t n, bool& full, bool stop_at_in_place) {
    const DomainHeap& heap = *q->port->heap;
    auto& bufs = q->bufs;
    std::uint16_t k = 0, scratch = 0;
    n = std::min(n, kBurst);
    for (; k < n; ++k) {
        rte_mbuf* m = pkts[k];
        if (m->pkt_len > kMaxFrame) break;
        if (m->nb_segs == 1) {
            if (stop_at_in_place && goes_in_place(heap, m)) break;
            bufs[k] = {rte_pktmbuf_mtod(m, const std::byte*), m->data_len};
        } else {
            if (scratch == q->scratch->size()) break;
            std::uint8_t* dst = (*q->scratch)[scratch++].data();
            bufs[k] = {reinterpret_cast<const std::byte*>(dst), linearize(m, dst)};
        }
    }
    if (k == 0) return 0;
    auto sent = q->ch->send_copy({bufs.data(), k});
    const std::uint16_t s = sent ? static_cast<std::uint16_t>(*sent) : 0;
    for (std::uint16_t i = 0; i < s; ++i) q->bytes += pkts[i]->pkt_len;
    rte_pktmbuf_free_bulk(pkts, s);
    q->copied += s;
    if (s < k) full = true;
    return s;
}

// One batch of in-place Tx (zero-copy): single-segment frames whose data
// lies in our arena, held until the other end hands them back.
std::uint16_t tx_in_place_batch(TxQueue* q, rte_mbuf** pkts, std::uint16_t n, bool& full) {
    const DomainHeap& heap = *q->port->heap;
    auto& msgs = q->msgs;
    std::uint16_t k = 0;
    n = std::min(n, kBurst);
    for (; k < n; ++k) {
        rte_mbuf* m = pkts[k];
        void* data = rte_pktmbuf_mtod(m, void*);
        if (m->pkt_len > kMaxFrame || !goes_in_place(heap, m)) break;
        msgs[k] = Message{data, heap.offset_of(data), m->data_len, 0, 0, reinterpret_cast<std::uint64_t>(m)};
    }
    if (k == 0) return 0;
    auto sent = q->ch->send({msgs.data(), k});
    const std::uint16_t s = sent ? static_cast<std::uint16_t>(*sent) : 0;
    for (std::uint16_t i = 0; i < s; ++i) q->bytes += pkts[i]->pkt_len;
    q->zero_copy += s;
    if (s < k) full = true;
    return s;
}

// Tx in batches until the ring is full: oversized frames are dropped, and
// in zero-copy each run of in-place frames goes by send(), any other run by
// send_copy().
std::uint16_t tx_frames(TxQueue* q, rte_mbuf** pkts, std::uint16_t n, bool zero_copy) {
    const DomainHeap& heap = *q->port->heap;
    std::uint16_t done = 0;
    bool full = false;
    while (done < n && !full) {
        done += drop_oversized(q, pkts + done, n - done);
        if (done == n) break;
        rte_mbuf* m = pkts[done];
        const bool in_place = zero_copy && goes_in_place(heap, m);
        const std::uint16_t s = in_place ? tx_in_place_batch(q, pkts + done, n - done, full)
                                         : tx_copy_batch(q, pkts + done, n - done, full, zero_copy);
        q->packets += s;
        done += s;
        if (s == 0) break;
    }
    if (full) ++q->full;
    return done;
}

}  // namespace

std::uint16_t rx_burst(void* queue, rte_mbuf** pkts, std::uint16_t n) {
    auto* q = static_cast<RxQueue*>(queue);
    DomainLock l(&q->lock);
    if (!q->ch) {
        if (!q->zc.empty()) zc_collect(q);  // slots come home even with no channel
        return 0;
    }
    std::uint16_t total = 0;
    while (total < n) {
        const std::uint16_t got =
            q->ch_zero_copy ? rx_zero_copy(q, pkts + total, n - total) : rx_copy(q, pkts + total, n - total);
        total += got;
        if (got < kBurst) break;
    }
    return total;
}

std::uint16_t tx_burst(void* queue, rte_mbuf** pkts, std::uint16_t n) {
    auto* q = static_cast<TxQueue*>(queue);
    DomainLock l(&q->lock);
    if (!q->ch) {
        q->link_down += n;
        return 0;
    }
    const bool zc = q->ch->config().mode == ChannelMode::ZeroCopy;
    // Also after a consumer died: recover() hands its messages back here.
    // Nothing to reclaim (only copies and posts lately) costs no look at
    // the return ring, whose next line the other end may be writing.
    if (zc && q->ch->outstanding() != 0) tx_reclaim(q);
    if (!q->connected) {
        q->link_down += n;
        return 0;
    }
    return tx_frames(q, pkts, n, zc);
}

void rx_queue_hand_back(RxQueue* q) {
    if (!q->ch || !q->ch_zero_copy) return;
    zc_collect(q);
    if (q->nback != 0 && q->ch->release({q->back.data(), q->nback})) q->nback = 0;
}

// Pool buffers of send_copy go back to the library's pool by themselves;
// only in-place mbufs carry a cookie.
void tx_reclaim(TxQueue* q) {
    auto& back = q->msgs;  // not in use between batches
    for (;;) {
        auto got = q->ch->reclaim({back.data(), kBurst});
        if (!got || *got == 0) return;
        for (std::uint32_t i = 0; i < *got; ++i)
            if (back[i].cookie != 0) rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(back[i].cookie));
    }
}

void rx_queue_drop_channel(RxQueue* q) {
    if (!q->ch) return;
    // Messages the application still holds belong to this consumer's
    // generation: when their mbufs are freed, zc_collect only recycles the
    // slot. Buffers we lent wait in quarantine. The consumer end is closed
    // now.
    if (q->nposted != 0) {
        std::vector<Message> lent(q->nposted);
        const std::uint32_t n = q->ch->lent(lent);
        for (std::uint32_t i = 0; i < n; ++i) q->quarantine.push_back(reinterpret_cast<rte_mbuf*>(lent[i].cookie));
    }
    q->ch.reset();
    q->ch_zero_copy = false;
    q->ch_posting = false;
    q->nposted = 0;
    q->nback = 0;  // the closed consumer's: the producer recovers them
}

namespace {
void free_quarantine(RxQueue* q) {
    rte_pktmbuf_free_bulk(q->quarantine.data(), static_cast<unsigned>(q->quarantine.size()));
    q->quarantine.clear();
}
}  // namespace

void rx_queue_attached(RxQueue* q) {
    // A producer writes a consumer's posts only while that consumer is
    // attached (it checks before each batch); ours were withdrawn at least
    // a monitor pass ago.
    free_quarantine(q);
    q->ch_posting = q->ch_zero_copy && q->post_mp != nullptr && q->ch->config().posted != 0;
}

int rx_queue_zc_init(RxQueue* q) {
    const std::uint32_t slots = q->port->args.ring_size;
    q->zc.resize(slots);
    q->zc_free.clear();
    q->zc_free.reserve(slots);
    for (std::uint32_t i = 0; i < slots; ++i) {
        q->zc[i].q = q;
        q->zc_free.push_back(slots - 1 - i);
    }
    const std::string name = "netmd_zc_" + std::to_string(q->port->port_id) + "_" + std::to_string(q->qid);
    // Multi-producer (mbufs are freed on any lcore), single consumer (the Rx burst).
    q->zc_done = rte_ring_create(name.c_str(), rte_align32pow2(slots + 1), rte_socket_id(), RING_F_SC_DEQ);
    if (q->zc_done == nullptr) {
        MD_PMD_LOG(ERR, "%s: Rx queue %u: cannot create ring %s", q->port->name.c_str(), q->qid, name.c_str());
        return -ENOMEM;
    }
    // The buffers we lend: twice the ring (one ring's worth lent, the rest
    // with the application), on our domain heap, shaped as the
    // application's own pool (its private area and data room: the mbufs
    // reach it as if from its pool). Without room for them the queue works
    // without posting.
    const std::string pool = "netmd_rx_" + std::to_string(q->port->port_id) + "_" + std::to_string(q->qid);
    q->post_mp = rte_pktmbuf_pool_create(pool.c_str(), 2 * slots + 2 * kBurst, 256, rte_pktmbuf_priv_size(q->mp),
                                         rte_pktmbuf_data_room_size(q->mp), q->port->heap->socket_id());
    if (q->post_mp == nullptr)
        MD_PMD_LOG(NOTICE, "%s: Rx queue %u: no room on the domain heap for posted buffers (%s); arena-size=MiB "
                           "gives more", q->port->name.c_str(), q->qid, rte_strerror(rte_errno));
    return 0;
}

void rx_queue_free(RxQueue* q) {
    if (q == nullptr) return;
    rx_queue_drop_channel(q);
    if (q->stashed != 0) rte_pktmbuf_free_bulk(q->stash.data(), q->stashed);
    free_quarantine(q);
    // Zero-copy mbufs still held by the application would call back into
    // this queue: its slots and ring are kept (leaked) in that case.
    if (q->zc_done != nullptr && q->zc_free.size() + rte_ring_count(q->zc_done) < q->zc.size()) {
        MD_PMD_LOG(WARNING, "%s: Rx queue %u released while the application holds zero-copy mbufs",
                   q->port->name.c_str(), q->qid);
        return;
    }
    rte_ring_free(q->zc_done);
    // Mbufs of the pool the application still holds would be freed into it
    // later: it is kept (leaked) in that case.
    if (q->post_mp != nullptr) {
        if (rte_mempool_full(q->post_mp)) rte_mempool_free(q->post_mp);
        else MD_PMD_LOG(WARNING, "%s: Rx queue %u released while the application holds its mbufs",
                        q->port->name.c_str(), q->qid);
    }
    delete q;
}

}  // namespace memdomain::dpdk::pmd
