// net_memdomain's eth_dev_ops: configuration, queues, start/stop/close. The
// link itself is pmd_link.cpp, the bursts pmd_rxtx.cpp, interrupts
// pmd_intr.cpp, counters pmd_xstats.cpp.
#include <rte_malloc.h>

#include <new>

#include "log.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

int dev_configure(rte_eth_dev* dev) {
    const rte_eth_dev_data* d = dev->data;
    if (d->nb_rx_queues > kMaxQueues || d->nb_tx_queues > kMaxQueues) {
        MD_PMD_LOG(ERR, "%s: at most %u queues each way", priv(dev)->name.c_str(), kMaxQueues);
        return -EINVAL;
    }
    return 0;
}

int dev_infos_get(rte_eth_dev* dev, rte_eth_dev_info* info) {
    (void)dev;
    info->max_mac_addrs = 1;
    info->max_rx_pktlen = kMaxFrame;
    info->min_mtu = RTE_ETHER_MIN_MTU;
    info->max_mtu = kMaxFrame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
    info->max_rx_queues = kMaxQueues;
    info->max_tx_queues = kMaxQueues;
    info->min_rx_bufsize = 0;
    info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    info->rx_offload_capa = 0;
    info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
    info->default_rxportconf.burst_size = 32;
    info->default_txportconf.burst_size = 32;
    info->default_rxportconf.ring_size = 1024;
    info->default_txportconf.ring_size = 1024;
    return 0;
}

int dev_start(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q)
        if (p->rxq[q] == nullptr) return -EINVAL;
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q)
        if (p->txq[q] == nullptr) return -EINVAL;
    if (int r = intr_install(dev); r != 0) return r;
    if (int r = link_start(dev); r != 0) {
        intr_uninstall(dev);
        return r;
    }
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q)
        dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q)
        dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    return 0;
}

int dev_stop(rte_eth_dev* dev) {
    link_stop(dev);
    intr_uninstall(dev);
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q)
        dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q)
        dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    return 0;
}

void tx_queue_free(TxQueue* q) {
    if (q == nullptr) return;
    q->ch.reset();
    for (void* m : q->retired) rte_free(m);
    rte_free(q->memory);
    rte_free(q->pool);
    delete q->scratch;
    delete q;
}

int dev_close(rte_eth_dev* dev) {
    if (rte_eal_process_type() != RTE_PROC_PRIMARY) return 0;
    PortPrivate* p = priv(dev);
    if (p->started) (void)dev_stop(dev);
    port_teardown(p);  // ethdev frees dev_private itself
    return 0;
}

int rx_queue_setup(rte_eth_dev* dev, std::uint16_t qid, std::uint16_t nb_desc, unsigned socket,
                   const rte_eth_rxconf* conf, rte_mempool* mp) {
    (void)nb_desc;
    (void)socket;
    (void)conf;
    PortPrivate* p = priv(dev);
    if (qid >= kMaxQueues || mp == nullptr) return -EINVAL;
    rx_queue_free(p->rxq[qid]);
    auto* q = new (std::nothrow) RxQueue;
    if (q == nullptr) return -ENOMEM;
    q->port = p;
    q->qid = qid;
    q->mp = mp;
    if (p->args.zero_copy) {
        if (int r = rx_queue_zc_init(q); r != 0) {
            rx_queue_free(q);
            return r;
        }
    }
    p->rxq[qid] = q;
    dev->data->rx_queues[qid] = q;
    return 0;
}

int tx_queue_setup(rte_eth_dev* dev, std::uint16_t qid, std::uint16_t nb_desc, unsigned socket,
                   const rte_eth_txconf* conf) {
    (void)nb_desc;
    (void)socket;
    (void)conf;
    PortPrivate* p = priv(dev);
    if (qid >= kMaxQueues) return -EINVAL;
    tx_queue_free(p->txq[qid]);
    auto* q = new (std::nothrow) TxQueue;
    if (q == nullptr) return -ENOMEM;
    q->scratch = new (std::nothrow) std::array<std::array<std::uint8_t, kMaxFrame>, 8>;
    if (q->scratch == nullptr) {
        delete q;
        return -ENOMEM;
    }
    q->port = p;
    q->qid = qid;
    p->txq[qid] = q;
    dev->data->tx_queues[qid] = q;
    return 0;
}

void rx_queue_release(rte_eth_dev* dev, std::uint16_t qid) {
    PortPrivate* p = priv(dev);
    if (p == nullptr || qid >= kMaxQueues) return;
    rx_queue_free(p->rxq[qid]);
    p->rxq[qid] = nullptr;
    dev->data->rx_queues[qid] = nullptr;
}

void tx_queue_release(rte_eth_dev* dev, std::uint16_t qid) {
    PortPrivate* p = priv(dev);
    if (p == nullptr || qid >= kMaxQueues) return;
    tx_queue_free(p->txq[qid]);
    p->txq[qid] = nullptr;
    dev->data->tx_queues[qid] = nullptr;
}

int mtu_set(rte_eth_dev* dev, std::uint16_t mtu) {
    (void)dev;
    return std::uint32_t{mtu} + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN <= kMaxFrame ? 0 : -EINVAL;
}

int accept_mode(rte_eth_dev* dev) {
    (void)dev;  // every frame on the link is for us: nothing to filter
    return 0;
}

int mac_addr_set(rte_eth_dev* dev, rte_ether_addr* addr) {
    priv(dev)->mac = *addr;
    return 0;
}

eth_dev_ops make_ops() {
    eth_dev_ops o{};
    o.dev_configure = dev_configure;
    o.dev_start = dev_start;
    o.dev_stop = dev_stop;
    o.dev_close = dev_close;
    o.dev_infos_get = dev_infos_get;
    o.promiscuous_enable = accept_mode;
    o.promiscuous_disable = accept_mode;
    o.allmulticast_enable = accept_mode;
    o.allmulticast_disable = accept_mode;
    o.link_update = link_update;
    o.mtu_set = mtu_set;
    o.mac_addr_set = mac_addr_set;
    o.rx_queue_setup = rx_queue_setup;
    o.tx_queue_setup = tx_queue_setup;
    o.rx_queue_release = rx_queue_release;
    o.tx_queue_release = tx_queue_release;
    o.rx_queue_intr_enable = rx_intr_enable;
    o.rx_queue_intr_disable = rx_intr_disable;
    o.stats_get = stats_get;
    o.stats_reset = stats_reset;
    o.xstats_get = xstats_get;
    o.xstats_get_names = xstats_get_names;
    o.xstats_reset = xstats_reset;
    return o;
}

}  // namespace

const eth_dev_ops kOps = make_ops();

void port_teardown(PortPrivate* p) {
    for (std::uint16_t q = 0; q < kMaxQueues; ++q) {
        rx_queue_free(p->rxq[q]);
        tx_queue_free(p->txq[q]);
        p->rxq[q] = nullptr;
        p->txq[q] = nullptr;
    }
    if (p->dev != nullptr) {
        for (std::uint16_t q = 0; q < p->dev->data->nb_rx_queues; ++q) p->dev->data->rx_queues[q] = nullptr;
        for (std::uint16_t q = 0; q < p->dev->data->nb_tx_queues; ++q) p->dev->data->tx_queues[q] = nullptr;
    }
    if (p->info != nullptr) rte_free(p->info);
    p->info = nullptr;
    if (p->shared && p->heap) {
        DomainLock l(p->shared->lock());
        p->heap.reset();
        // Without keep_reference: objects the application still has on the
        // heap (its mbuf pool) keep it in DPDK until it is reused or exit.
        (void)DomainHeap::release(*p->shared, false);
    }
    p->~PortPrivate();
}

}  // namespace memdomain::dpdk::pmd
