// net_memdomain's registration with DPDK's vdev bus: probe (parse devargs,
// attach to the domain, make the heap, allocate the ethdev) and remove.
// Nothing touches the link until dev_start: a probed port is down.
#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_malloc.h>

#include <new>

#include "log.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

int probe(rte_vdev_device* vdev) {
    const char* name = rte_vdev_device_name(vdev);
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return report(pmd_logtype, make_error(std::string(name) + ": secondary processes are not supported", ENOTSUP));
    auto args = parse_devargs(rte_vdev_device_args(vdev));
    if (!args) return report(pmd_logtype, make_error(std::string(name) + ": " + args.error().message, EINVAL));

    DomainKey key;
    key.name = args->domain;
    key.socket_dir = args->socket_dir;
    auto shared = SharedDomain::acquire(key);
    if (!shared) return report(pmd_logtype, make_error(std::string(name) + ": " + shared.error().message, shared.error().sys));
    std::shared_ptr<DomainHeap> heap;
    {
        DomainLock l((*shared)->lock());
        auto h = DomainHeap::ensure(**shared, "", args->arena_bytes);
        if (!h) return report(pmd_logtype, make_error(std::string(name) + ": " + h.error().message, h.error().sys));
        heap = *h;
    }

    rte_eth_dev* dev = rte_eth_vdev_allocate(vdev, sizeof(PortPrivate));
    if (dev == nullptr) {
        DomainLock l((*shared)->lock());
        (void)DomainHeap::release(**shared, false);
        return report(pmd_logtype, make_error(std::string(name) + ": rte_eth_vdev_allocate failed", ENOMEM));
    }
    auto* p = new (dev->data->dev_private) PortPrivate;
    p->args = std::move(*args);
    p->name = name;
    p->port_id = dev->data->port_id;
    p->dev = dev;
    p->shared = std::move(*shared);
    p->heap = std::move(heap);
    rte_eth_random_addr(p->mac.addr_bytes);

    dev->data->mac_addrs = static_cast<rte_ether_addr*>(rte_zmalloc(name, sizeof(rte_ether_addr), 0));
    if (dev->data->mac_addrs == nullptr) {
        port_teardown(p);
        rte_eth_dev_release_port(dev);
        return report(pmd_logtype, make_error(std::string(name) + ": no memory for the MAC address", ENOMEM));
    }
    *dev->data->mac_addrs = p->mac;
    dev->data->dev_link = rte_eth_link{};
    dev->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_100G;
    dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
    dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
    dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
    dev->data->numa_node = rte_socket_id();
    dev->dev_ops = &kOps;
    dev->rx_pkt_burst = rx_burst;
    dev->tx_pkt_burst = tx_burst;
    rte_eth_dev_probing_finish(dev);
    MD_PMD_LOG(INFO, "%s: port %u on domain '%s' link '%s' (%s), heap socket %d", name, p->port_id,
               p->args.domain.c_str(), p->args.link.c_str(), p->args.zero_copy ? "zero-copy" : "copy",
               p->heap->socket_id());
    return 0;
}

int remove(rte_vdev_device* vdev) {
    rte_eth_dev* dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
    if (dev == nullptr) return 0;  // closed already
    (void)rte_eth_dev_stop(dev->data->port_id);
    (void)rte_eth_dev_close(dev->data->port_id);
    return 0;
}

}  // namespace
}  // namespace memdomain::dpdk::pmd

// At global scope: DPDK's registration macros paste the variable's name
// into identifiers.
static rte_vdev_driver net_memdomain_driver = {
    .next = {},
    .driver = {},
    .probe = memdomain::dpdk::pmd::probe,
    .remove = memdomain::dpdk::pmd::remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};
RTE_PMD_REGISTER_VDEV(net_memdomain, net_memdomain_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_memdomain,
                              "domain=<name> link=<name> socket-dir=<dir> zero-copy=<yes|no> "
                              "ring-size=<int> arena-size=<MiB>");
