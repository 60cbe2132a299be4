// dpdk_peer sleep / trickle: Rx interrupts on doorbells, as an
// l3fwd-power-style application uses them.
//   trickle  sends `count` frames, one every 100 ms (the receiver goes idle
//            between them)
//   sleep    polls; when a poll finds nothing it enables the queue's Rx
//            interrupt, sleeps in rte_epoll_wait (up to 5 s), disables it and
//            polls again. Prints how often it slept, how often a doorbell
//            (not the timeout) woke it, and what it received, until it has
//            `count` frames or the timeout passes.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "peer.h"

namespace dpdk_peer {

int run_trickle(const Options& o) {
    rte_mempool* pool = rte_pktmbuf_pool_create("tpool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == nullptr || start_port(0, pool) != 0 || !wait_link(0, true, o.timeout_s)) {
        std::printf("ERROR port or link\n");
        return 1;
    }
    std::uint64_t sent = 0;
    const std::uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * static_cast<std::uint64_t>(o.timeout_s);
    while (sent < o.count && rte_get_timer_cycles() < end) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (m == nullptr) break;
        std::memset(rte_pktmbuf_mtod(m, void*), 0x5a, 64);
        m->data_len = m->pkt_len = 64;
        if (rte_eth_tx_burst(0, 0, &m, 1) == 1) ++sent;
        else rte_pktmbuf_free(m);
        rte_delay_us_sleep(100 * 1000);
    }
    std::printf("TRICKLE sent=%" PRIu64 "\n", sent);
    (void)rte_eth_dev_stop(0);
    (void)rte_eth_dev_close(0);
    return sent == o.count ? 0 : 1;
}

int run_sleep(const Options& o) {
    rte_mempool* pool = rte_pktmbuf_pool_create("spool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    conf.intr_conf.rxq = 1;
    if (pool == nullptr || rte_eth_dev_configure(0, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(0, 0, 1024, rte_eth_dev_socket_id(0), nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(0, 0, 1024, rte_eth_dev_socket_id(0), nullptr) != 0 || rte_eth_dev_start(0) != 0) {
        std::printf("ERROR port setup with Rx interrupts\n");
        return 1;
    }
    const int ctl = rte_eth_dev_rx_intr_ctl_q(0, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, nullptr);
    if (ctl != 0) {
        std::printf("ERROR rte_eth_dev_rx_intr_ctl_q: %d\n", ctl);
        return 1;
    }
    std::printf("STARTED\n");
    std::uint64_t received = 0, sleeps = 0, woken = 0, timeouts = 0;
    const std::uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * static_cast<std::uint64_t>(o.timeout_s);
    rte_mbuf* burst[32];
    while (received < o.count && rte_get_timer_cycles() < end) {
        const std::uint16_t r = rte_eth_rx_burst(0, 0, burst, 32);
        if (r != 0) {
            received += r;
            rte_pktmbuf_free_bulk(burst, r);
            continue;
        }
        if (rte_eth_dev_rx_intr_enable(0, 0) != 0) {
            std::printf("ERROR rte_eth_dev_rx_intr_enable\n");
            return 1;
        }
        rte_epoll_event ev[1];
        ++sleeps;
        const int n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 1, 5000);
        (n > 0 ? woken : timeouts) += 1;
        (void)rte_eth_dev_rx_intr_disable(0, 0);
    }
    std::printf("SLEEP received=%" PRIu64 " sleeps=%" PRIu64 " woken=%" PRIu64 " timeouts=%" PRIu64 "\n", received,
                sleeps, woken, timeouts);
    (void)rte_eth_dev_stop(0);
    (void)rte_eth_dev_close(0);
    return received == o.count ? 0 : 1;
}

}  // namespace dpdk_peer
