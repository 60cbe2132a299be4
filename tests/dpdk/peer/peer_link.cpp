// dpdk_peer link: a net_memdomain port that prints each link change as the
// LSC callback reports it ("LINK up" / "LINK down", with a running count of
// frames received), and keeps receiving until SIGTERM.
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cinttypes>
#include <csignal>
#include <cstdio>

#include "peer.h"

namespace dpdk_peer {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<std::uint64_t> g_received{0};

int on_lsc(std::uint16_t port, rte_eth_event_type type, void* arg, void* ret) {
    (void)type;
    (void)arg;
    (void)ret;
    rte_eth_link link{};
    (void)rte_eth_link_get_nowait(port, &link);
    std::printf("LINK %s received=%" PRIu64 "\n", link.link_status == RTE_ETH_LINK_UP ? "up" : "down",
                g_received.load());
    return 0;
}

}  // namespace

int run_link(const Options& o) {
    std::signal(SIGTERM, [](int) { g_stop = true; });
    std::signal(SIGINT, [](int) { g_stop = true; });
    rte_mempool* pool = rte_pktmbuf_pool_create("lpool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == nullptr) {
        std::printf("ERROR mbuf pool\n");
        return 1;
    }
    (void)o;
    rte_eth_dev_callback_register(0, RTE_ETH_EVENT_INTR_LSC, on_lsc, nullptr);
    if (rte_eth_dev_count_avail() < 1 || start_port(0, pool) != 0) {
        std::printf("ERROR no net_memdomain port 0 to start\n");
        return 1;
    }
    std::printf("STARTED\n");
    rte_mbuf* burst[32];
    while (!g_stop) {
        const std::uint16_t r = rte_eth_rx_burst(0, 0, burst, 32);
        g_received += r;
        rte_pktmbuf_free_bulk(burst, r);
    }
    rte_eth_stats st{};
    (void)rte_eth_stats_get(0, &st);
    std::printf("STOPPED received=%" PRIu64 " ipackets=%" PRIu64 "\n", g_received.load(), st.ipackets);
    (void)rte_eth_dev_stop(0);
    (void)rte_eth_dev_close(0);
    return 0;
}

}  // namespace dpdk_peer
