// net_memdomain's counters: the basic stats (summed over queues, per queue
// for the first RTE_ETHDEV_QUEUE_STAT_CNTRS) and extended stats that say
// where packets went (zero-copy or copied, ring full, link down, oversized,
// no mbufs) plus the channels' own counters (invalid entries dropped,
// doorbells rung, sleeps) and how often the link changed.
#include <cstdio>
#include <cstring>

#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

struct Xstat {
    const char* name;
    std::uint64_t (*get)(PortPrivate* p);
};

template <class F>
std::uint64_t sum_rx(PortPrivate* p, F f) {
    std::uint64_t v = 0;
    for (std::uint16_t q = 0; q < p->dev->data->nb_rx_queues; ++q)
        if (p->rxq[q] != nullptr) v += f(*p->rxq[q]);
    return v;
}
template <class F>
std::uint64_t sum_tx(PortPrivate* p, F f) {
    std::uint64_t v = 0;
    for (std::uint16_t q = 0; q < p->dev->data->nb_tx_queues; ++q)
        if (p->txq[q] != nullptr) v += f(*p->txq[q]);
    return v;
}

const Xstat kXstats[] = {
    {"rx_zero_copy_packets", [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.zero_copy; }); }},
    {"rx_posted_packets", [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.posted_rx; }); }},
    {"rx_oversized_errors", [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.oversized; }); }},
    {"rx_nombuf", [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.nombuf; }); }},
    {"rx_invalid_entries",
     [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.ch ? q.ch->stats().invalid : 0; }); }},
    {"rx_sleeps", [](PortPrivate* p) { return sum_rx(p, [](RxQueue& q) { return q.ch ? q.ch->stats().sleeps : 0; }); }},
    {"tx_zero_copy_packets", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.zero_copy; }); }},
    {"tx_copied_packets", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.copied; }); }},
    {"tx_ring_full", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.full; }); }},
    {"tx_link_down_packets", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.link_down; }); }},
    {"tx_zero_copy_unreturned", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.unreturned; }); }},
    {"tx_oversized_errors", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.oversized; }); }},
    {"tx_invalid_returns",
     [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.ch ? q.ch->stats().invalid : 0; }); }},
    {"tx_doorbells", [](PortPrivate* p) { return sum_tx(p, [](TxQueue& q) { return q.ch ? q.ch->stats().wakeups : 0; }); }},
    {"link_changes", [](PortPrivate* p) { return p->link_changes; }},
};
constexpr unsigned kCount = sizeof(kXstats) / sizeof(kXstats[0]);

}  // namespace

// Counters are read and reset without locks, as DPDK's drivers do: each is
// written by its queue's lcore only, and a stale read is harmless.
int stats_get(rte_eth_dev* dev, rte_eth_stats* st) {
    PortPrivate* p = priv(dev);
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q) {
        const RxQueue* r = p->rxq[q];
        if (r == nullptr) continue;
        st->ipackets += r->packets;
        st->ibytes += r->bytes;
        st->ierrors += r->oversized;
        st->rx_nombuf += r->nombuf;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            st->q_ipackets[q] = r->packets;
            st->q_ibytes[q] = r->bytes;
        }
    }
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q) {
        const TxQueue* t = p->txq[q];
        if (t == nullptr) continue;
        st->opackets += t->packets;
        st->obytes += t->bytes;
        st->oerrors += t->oversized;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            st->q_opackets[q] = t->packets;
            st->q_obytes[q] = t->bytes;
        }
    }
    return 0;
}

int stats_reset(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    for (std::uint16_t q = 0; q < kMaxQueues; ++q) {
        if (RxQueue* r = p->rxq[q]) r->packets = r->bytes = r->nombuf = r->oversized = r->zero_copy = r->posted_rx = 0;
        if (TxQueue* t = p->txq[q]) t->packets = t->bytes = t->full = t->link_down = t->oversized = t->zero_copy = t->copied =
                                     t->unreturned = 0;
    }
    p->link_changes = 0;
    return 0;
}

int xstats_get_names(rte_eth_dev* dev, rte_eth_xstat_name* names, unsigned size) {
    (void)dev;
    if (names == nullptr || size < kCount) return static_cast<int>(kCount);
    for (unsigned i = 0; i < kCount; ++i) std::snprintf(names[i].name, sizeof(names[i].name), "%s", kXstats[i].name);
    return static_cast<int>(kCount);
}

int xstats_get(rte_eth_dev* dev, rte_eth_xstat* xs, unsigned n) {
    if (xs == nullptr || n < kCount) return static_cast<int>(kCount);
    PortPrivate* p = priv(dev);
    // The channels' own counters are read under the monitor's lock (it is
    // what replaces a queue's channel).
    DomainLock l(&p->ctl);
    for (unsigned i = 0; i < kCount; ++i) {
        xs[i].id = i;
        xs[i].value = kXstats[i].get(p);
    }
    return static_cast<int>(kCount);
}

int xstats_reset(rte_eth_dev* dev) { return stats_reset(dev); }

}  // namespace memdomain::dpdk::pmd
