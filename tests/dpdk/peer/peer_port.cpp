// dpdk_peer's shared steps: the heap attach and port 0's setup.
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <cinttypes>
#include <cstdio>

#include "memdomain/dpdk/heap.h"
#include "peer.h"

namespace dpdk_peer {

int attach_heap(const Options& o, Range* range) {
    md_dpdk_heap_options opts;
    md_dpdk_heap_options_init(&opts);
    opts.socket_dir = o.socket_dir.c_str();
    opts.min_bytes = o.min_mb << 20;
    const int socket = md_dpdk_heap_attach(o.domain.c_str(), &opts);
    if (socket < 0) {
        std::printf("ERROR md_dpdk_heap_attach: %d %s\n", socket, md_dpdk_last_error());
        return socket;
    }
    md_dpdk_heap_info info;
    if (int r = md_dpdk_heap_get_info(o.domain.c_str(), &opts, &info); r != 0) {
        std::printf("ERROR md_dpdk_heap_get_info: %d %s\n", r, md_dpdk_last_error());
        return r;
    }
    std::printf("HEAP name=%s socket=%d offset=%" PRIu64 " size=%" PRIu64 " page=%" PRIu64
                " iova_source=%u first_iova=%" PRIx64 " iova_mode=%s\n",
                info.heap_name, info.socket_id, info.offset, info.size, info.page_size, info.iova_source,
                info.first_iova, rte_eal_iova_mode() == RTE_IOVA_PA ? "pa" : "va");
    range->base = info.base;
    range->size = info.size;
    return socket;
}

int start_port(std::uint16_t port, rte_mempool* pool) {
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    if (int r = rte_eth_dev_configure(port, 1, 1, &conf); r != 0) return r;
    if (int r = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr, pool); r != 0) return r;
    if (int r = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr); r != 0) return r;
    return rte_eth_dev_start(port);
}

bool wait_link(std::uint16_t port, bool up, int timeout_s) {
    const std::uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * static_cast<std::uint64_t>(timeout_s);
    while (rte_get_timer_cycles() < end) {
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(port, &link) == 0 && (link.link_status == RTE_ETH_LINK_UP) == up) return true;
        rte_delay_us_sleep(10 * 1000);
    }
    return false;
}

}  // namespace dpdk_peer
