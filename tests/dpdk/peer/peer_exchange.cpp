// dpdk_peer exchange: two independent DPDK processes, each with its own
// heap in one domain and its mbuf pool on it, send each other `count`
// tagged frames over net_memdomain and verify every byte they receive. A
// canary block on each heap must come through untouched (nobody else writes
// into a peer's arena). A final FIN frame says "all sent"; each side stops
// once it has sent and received everything (the driver's stop drain makes
// sure the other side has taken our frames first). --hold N keeps the last
// N frames received until the port has stopped, and --linger-ms keeps
// polling before the stop; RESULT then says how many of our own frames the
// other end still held at our stop and how much of our pool is free.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>

#include "peer.h"

namespace dpdk_peer {
namespace {

constexpr std::uint32_t kMagic = 0x3158444d;  // "MDX1"
constexpr std::uint16_t kEtherType = 0x88b5;  // local experimental
constexpr std::size_t kHeader = 14 + 4 + 4 + 8 + 4;
constexpr std::size_t kCanary = 256 << 10;

std::uint8_t pattern(std::uint64_t seq, std::uint32_t id, std::size_t i) {
    return static_cast<std::uint8_t>(seq * 31 + i + id * 7);
}

void build(rte_mbuf* m, std::uint32_t id, std::uint64_t seq, bool fin, std::uint32_t frame) {
    auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
    std::memset(p, 0xff, 6);
    std::memset(p + 6, 0x02, 6);
    p[12] = kEtherType >> 8;
    p[13] = kEtherType & 0xff;
    const std::uint32_t f = fin ? 1 : 0;
    std::memcpy(p + 14, &kMagic, 4);
    std::memcpy(p + 18, &id, 4);
    std::memcpy(p + 22, &seq, 8);
    std::memcpy(p + 30, &f, 4);
    for (std::size_t i = kHeader; i < frame; ++i) p[i] = pattern(seq, id, i);
    m->data_len = static_cast<std::uint16_t>(frame);
    m->pkt_len = frame;
}

struct RxState {
    std::uint64_t data = 0, bad = 0, next_seq = 0, out_of_order = 0;
    bool fin = false;
};

void verify(const rte_mbuf* m, std::uint32_t self, std::uint32_t frame, RxState& s) {
    const auto* p = rte_pktmbuf_mtod(m, const std::uint8_t*);
    std::uint32_t magic = 0, id = 0, fin = 0;
    std::uint64_t seq = 0;
    if (m->pkt_len != frame || m->nb_segs != 1) {
        ++s.bad;
        return;
    }
    std::memcpy(&magic, p + 14, 4);
    std::memcpy(&id, p + 18, 4);
    std::memcpy(&seq, p + 22, 8);
    std::memcpy(&fin, p + 30, 4);
    if (magic != kMagic || id == self) {
        ++s.bad;
        return;
    }
    if (fin == 1) {
        s.fin = true;
        return;
    }
    for (std::size_t i = kHeader; i < frame; ++i) {
        if (p[i] != pattern(seq, id, i)) {
            ++s.bad;
            return;
        }
    }
    if (seq != s.next_seq) ++s.out_of_order;
    s.next_seq = seq + 1;
    ++s.data;
}

// One extended stat of the port by name (~0 when it has none).
std::uint64_t xstat(std::uint16_t port, const char* name) {
    std::uint64_t id = 0, value = ~std::uint64_t{0};
    if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 || rte_eth_xstats_get_by_id(port, &id, &value, 1) != 1)
        return ~std::uint64_t{0};
    return value;
}

}  // namespace

int run_exchange(const Options& o) {
    Range range;
    const int socket = attach_heap(o, &range);
    if (socket < 0) return 1;
    auto* canary = static_cast<std::uint8_t*>(rte_malloc_socket("canary", kCanary, 64, socket));
    rte_mempool* pool = rte_pktmbuf_pool_create("xpool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                o.private_pool ? static_cast<int>(rte_socket_id()) : socket);
    if (canary == nullptr || pool == nullptr) {
        std::printf("ERROR allocation on the domain heap failed\n");
        return 1;
    }
    for (std::size_t i = 0; i < kCanary; ++i) canary[i] = static_cast<std::uint8_t>(i * 13 + o.id);
    if (rte_eth_dev_count_avail() < 1 || start_port(0, pool) != 0) {
        std::printf("ERROR no net_memdomain port 0 to start\n");
        return 1;
    }
    if (!wait_link(0, true, o.timeout_s)) {
        std::printf("ERROR link did not come up in %d s\n", o.timeout_s);
        return 1;
    }
    std::printf("LINK up\n");
    RxState rx;
    std::uint64_t sent = 0, own_outside = 0;
    bool fin_sent = false;
    const std::uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * static_cast<std::uint64_t>(o.timeout_s);
    rte_mbuf* burst[32];
    std::deque<rte_mbuf*> held;  // --hold: the last frames received, not freed yet
    while (!(fin_sent && rx.fin) && rte_get_timer_cycles() < end) {
        if (!fin_sent) {
            const std::uint64_t left = o.count - sent;
            const unsigned n = left == 0 ? 1 : static_cast<unsigned>(left < 32 ? left : 32);
            if (rte_pktmbuf_alloc_bulk(pool, burst, n) == 0) {
                for (unsigned i = 0; i < n; ++i) {
                    build(burst[i], o.id, sent + i, left == 0, o.frame);
                    own_outside += range.contains(rte_pktmbuf_mtod(burst[i], void*), o.frame) ? 0 : 1;
                }
                const std::uint16_t s = rte_eth_tx_burst(0, 0, burst, static_cast<std::uint16_t>(n));
                if (s < n) rte_pktmbuf_free_bulk(burst + s, n - s);
                if (left == 0) fin_sent = s == 1;
                else sent += s;
            }
        }
        const std::uint16_t r = rte_eth_rx_burst(0, 0, burst, 32);
        for (std::uint16_t i = 0; i < r; ++i) {
            const std::uint64_t before = rx.data;
            verify(burst[i], o.id, o.frame, rx);
            if (rx.data == before || o.hold == 0) {
                rte_pktmbuf_free(burst[i]);
                continue;
            }
            held.push_back(burst[i]);
            if (held.size() > o.hold) {
                rte_pktmbuf_free(held.front());
                held.pop_front();
            }
        }
    }
    // Still polling (so what we freed goes back), holding what we hold.
    const std::uint64_t linger =
        rte_get_timer_cycles() + rte_get_timer_hz() * static_cast<std::uint64_t>(o.linger_ms) / 1000;
    while (rte_get_timer_cycles() < linger) {
        const std::uint16_t r = rte_eth_rx_burst(0, 0, burst, 32);
        rte_pktmbuf_free_bulk(burst, r);
        rte_delay_us_sleep(1000);
    }
    bool canary_ok = true;
    for (std::size_t i = 0; i < kCanary; ++i) canary_ok &= canary[i] == static_cast<std::uint8_t>(i * 13 + o.id);
    const std::uint64_t rx_zc = xstat(0, "rx_zero_copy_packets"), rx_posted = xstat(0, "rx_posted_packets"),
                        tx_zc = xstat(0, "tx_zero_copy_packets");
    // After the stop, every mbuf of ours the other end held has come back
    // (or is counted as still held); after the close, the queues' own are
    // freed too, so the whole pool is free again.
    (void)rte_eth_dev_stop(0);
    const std::uint64_t unreturned = xstat(0, "tx_zero_copy_unreturned");
    const std::size_t nheld = held.size();
    for (rte_mbuf* m : held) rte_pktmbuf_free(m);
    (void)rte_eth_dev_close(0);
    std::printf("RESULT sent=%" PRIu64 " received=%" PRIu64 " bad=%" PRIu64 " out_of_order=%" PRIu64
                " fin=%d canary=%s own_outside=%" PRIu64 " tx_zero_copy=%" PRIu64 " rx_zero_copy=%" PRIu64
                " rx_posted=%" PRIu64 " unreturned=%" PRIu64 " held=%zu pool_free=%u pool_size=%u\n",
                sent, rx.data, rx.bad, rx.out_of_order, rx.fin ? 1 : 0, canary_ok ? "ok" : "CORRUPT", own_outside,
                tx_zc, rx_zc, rx_posted, unreturned, nheld, rte_mempool_avail_count(pool), pool->size);
    rte_free(canary);
    return (fin_sent && rx.fin) ? 0 : 1;
}

}  // namespace dpdk_peer
