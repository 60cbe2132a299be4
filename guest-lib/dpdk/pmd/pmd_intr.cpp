// Rx interrupts on doorbells: rte_eth_dev_rx_intr_enable() arms the
// channel (the producer then rings our doorbell vector for the next
// message), and the queue's event fd, which an application adds to its
// epoll with rte_eth_dev_rx_intr_ctl_q(), is a duplicate of the domain's
// doorbell fd for that vector (an eventfd on a host, the vfio MSI-X eventfd
// in a VM). The handle is RTE_INTR_HANDLE_EXT: the EAL leaves the counter
// alone and disarming drains it.
//
// Rx queue q sleeps on doorbell vector q: a domain with V vectors gives Rx
// interrupts to queues 0..V-1 (more queues on one vector would drain each
// other's wake-ups); the others return -ENOTSUP. A guest without vfio
// (polling doorbells) has no fd to sleep on: -ENOTSUP as well.
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "memdomain/sys/eventfd.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

// The one dup of this driver (an fd the EAL's epoll can own apart from the
// Domain's).
int dup_cloexec(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

std::uint16_t intr_queues(PortPrivate* p) {
    return static_cast<std::uint16_t>(
        std::min<std::uint32_t>(p->dev->data->nb_rx_queues, p->shared->domain().vectors()));
}

// Builds the handle: one efd (a dup of the doorbell fd) per queue with a
// vector of its own. Under p->ctl.
int install_locked(PortPrivate* p) {
    const std::uint16_t nb_rx = p->dev->data->nb_rx_queues, n = intr_queues(p);
    p->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
    if (p->intr == nullptr) return -ENOMEM;
    if (rte_intr_type_set(p->intr, RTE_INTR_HANDLE_EXT) != 0 || rte_intr_vec_list_alloc(p->intr, nullptr, nb_rx) != 0)
        return -rte_errno;
    for (std::uint16_t q = 0; q < nb_rx; ++q) {
        RxQueue* r = p->rxq[q];
        if (q >= n) {  // no vector of its own: an invalid index disables it
            if (rte_intr_vec_list_index_set(p->intr, q, RTE_INTR_VEC_RXTX_OFFSET + RTE_MAX_RXTX_INTR_VEC_ID) != 0)
                return -rte_errno;
            continue;
        }
        r->vector = q;
        r->intr_fd = dup_cloexec(p->shared->domain().doorbell_fd(q));
        if (r->intr_fd < 0) return -errno;
        if (rte_intr_efds_index_set(p->intr, q, r->intr_fd) != 0 ||
            rte_intr_vec_list_index_set(p->intr, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0)
            return -rte_errno;
    }
    if (rte_intr_nb_efd_set(p->intr, n) != 0 || rte_intr_max_intr_set(p->intr, n + 1) != 0) return -rte_errno;
    return 0;
}

}  // namespace

int intr_install(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    if (dev->data->dev_conf.intr_conf.rxq == 0) return 0;
    int rc;
    {
        DomainLock l(&p->ctl);
        if (p->shared->domain().interrupt_mode() == InterruptMode::Polling) {
            MD_PMD_LOG(ERR, "%s: Rx interrupts need doorbell interrupts (vfio-pci in a guest); this domain polls",
                       p->name.c_str());
            return -ENOTSUP;
        }
        rc = install_locked(p);
    }
    if (rc != 0) {
        MD_PMD_LOG(ERR, "%s: cannot set up Rx interrupts: %s", p->name.c_str(), rte_strerror(-rc));
        intr_uninstall(dev);
        return rc;
    }
    dev->intr_handle = p->intr;
    return 0;
}

void intr_uninstall(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    if (p->intr == nullptr) return;
    DomainLock l(&p->ctl);
    for (std::uint16_t q = 0; q < kMaxQueues; ++q) {
        RxQueue* r = p->rxq[q];
        if (r == nullptr) continue;
        if (r->intr_fd >= 0) ::close(r->intr_fd);
        r->intr_fd = -1;
        r->intr_armed = false;
    }
    rte_intr_vec_list_free(p->intr);
    rte_intr_instance_free(p->intr);
    p->intr = nullptr;
    dev->intr_handle = nullptr;
}

int rx_intr_enable(rte_eth_dev* dev, std::uint16_t qid) {
    PortPrivate* p = priv(dev);
    if (qid >= dev->data->nb_rx_queues || p->rxq[qid] == nullptr) return -EINVAL;
    RxQueue* r = p->rxq[qid];
    if (r->intr_fd < 0) return -ENOTSUP;
    DomainLock l(&r->lock);
    r->intr_armed = true;
    if (!r->ch) return 0;  // the monitor arms it when the channel opens
    auto sleep = r->ch->arm();
    // Work is already there (or the channel is broken): wake at once rather
    // than sleep past it.
    if (!sleep || !*sleep) (void)sys::eventfd_ring(r->intr_fd);
    return 0;
}

int rx_intr_disable(rte_eth_dev* dev, std::uint16_t qid) {
    PortPrivate* p = priv(dev);
    if (qid >= dev->data->nb_rx_queues || p->rxq[qid] == nullptr) return -EINVAL;
    RxQueue* r = p->rxq[qid];
    if (r->intr_fd < 0) return -ENOTSUP;
    DomainLock l(&r->lock);
    r->intr_armed = false;
    if (r->ch) r->ch->disarm();  // clears the announcement, drains the doorbell
    else (void)sys::eventfd_drain(r->intr_fd);
    return 0;
}

void intr_rearm_after_attach(RxQueue* q) {
    auto sleep = q->ch->arm();
    if (!sleep || !*sleep) (void)sys::eventfd_ring(q->intr_fd);
}

}  // namespace memdomain::dpdk::pmd
