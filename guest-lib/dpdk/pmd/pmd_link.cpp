// Pairing two ends of a link in a domain, the monitor that follows the
// other end, and the link state (see pmd_internal.h for the protocol).
//
// The other end's PortInfo is shared memory another peer writes: it is read
// only through the directory's bounds-checked range, copied, and validated
// (magic, version, queue counts) before any field is used.
//
// Locks: p->ctl serialises start, stop and the monitor; each queue's own
// lock is held by its bursts, and the monitor only ever tries it (a queue
// that is busy is handled on a pass 10 ms later).
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include <algorithm>
#include <cstring>

#include "log.h"
#include "pmd_internal.h"

namespace memdomain::dpdk::pmd {
namespace {

constexpr std::uint64_t kMonitorPeriodUs = 100 * 1000;
constexpr std::uint64_t kMonitorRetryUs = 10 * 1000;

constexpr std::uint64_t kDrainTimeoutMs = 1000;

char other(char role) { return role == 'a' ? 'b' : 'a'; }

// The other end's PortInfo in shared memory (bounds checked), or null.
const PortInfo* peer_info_in_place(PortPrivate* p) {
    Directory dir(p->shared->area());
    auto e = dir.lookup(role_entry(*p, other(p->role)));
    if (!e || e->type != kDirTypePort || e->size < sizeof(PortInfo)) return nullptr;
    std::byte* at = p->shared->area().at(e->offset, sizeof(PortInfo));
    if (at == nullptr || reinterpret_cast<std::uintptr_t>(at) % alignof(PortInfo) != 0) return nullptr;
    return reinterpret_cast<const PortInfo*>(at);
}

// A validated copy of the other end's PortInfo, or nothing.
std::optional<PortInfo> read_peer_info(PortPrivate* p) {
    const PortInfo* in_place = peer_info_in_place(p);
    if (in_place == nullptr) return std::nullopt;
    PortInfo copy;
    std::memcpy(&copy, in_place, sizeof(copy));
    if (copy.magic != kPortInfoMagic || copy.version != kPortInfoVersion || copy.rx_queues > kMaxQueues ||
        copy.tx_queues > kMaxQueues)
        return std::nullopt;
    return copy;
}

ChannelConfig channel_config(const PortPrivate& p, std::uint16_t q, std::uint32_t vectors) {
    ChannelConfig c;
    c.slots = p.args.ring_size;
    c.mode = p.args.zero_copy ? ChannelMode::ZeroCopy : ChannelMode::Copy;
    c.slot_payload = kMaxFrame;
    c.pool_buffers = p.args.zero_copy ? p.args.ring_size : 0;
    c.pool_buffer_size = kMaxFrame;
    c.inline_payload = p.args.zero_copy ? kInlineFrame : 0;
    c.posted = p.args.zero_copy ? std::min<std::uint32_t>(p.args.ring_size, 0x7fff) : 0;
    c.consumer_vector = q % vectors;
    c.producer_vector = q % vectors;
    return c;
}

// Builds our channel for Tx queue q in memory from our heap (never from the
// arena's own allocator: the arena is DPDK's heap).
int create_tx_channel(PortPrivate* p, TxQueue* q) {
    const ChannelConfig base = channel_config(*p, q->qid, p->shared->domain().vectors());
    const std::uint64_t ring_bytes = channel_memory_size(base);
    if (ring_bytes == 0) return -EINVAL;
    const int socket = p->heap->socket_id();
    if (q->memory != nullptr) q->retired.push_back(q->memory);
    if (q->pool != nullptr) q->retired.push_back(q->pool);
    q->memory = rte_malloc_socket("netmd_ring", ring_bytes, 64, socket);
    q->pool = base.pool_buffers != 0
                  ? rte_malloc_socket("netmd_pool", std::uint64_t{base.pool_buffers} * base.pool_buffer_size, 64, socket)
                  : nullptr;
    if (q->memory == nullptr || (base.pool_buffers != 0 && q->pool == nullptr)) {
        MD_PMD_LOG(ERR, "%s: Tx queue %u: no room on the domain heap for %" PRIu64 " bytes of rings (arena-size=MiB)",
                   p->name.c_str(), q->qid, ring_bytes);
        return -ENOMEM;
    }
    ChannelConfig cfg = base;
    cfg.memory_offset = p->heap->offset_of(q->memory);
    if (q->pool != nullptr) cfg.pool_offset = p->heap->offset_of(q->pool);
    auto ch = ChannelProducer::create(p->shared->area(), p->heap->arena(), channel_entry(*p, p->role, q->qid), cfg);
    if (!ch) return report(pmd_logtype, make_error(p->name + ": Tx queue " + std::to_string(q->qid) + ": " +
                                                       ch.error().message, ch.error().sys));
    q->ch.emplace(std::move(*ch));
    q->connected = false;
    return 0;
}

int claim_role(PortPrivate* p) {
    Directory dir(p->shared->area());
    const std::uint64_t off = p->heap->offset_of(p->info);
    for (char role : {'a', 'b'}) {
        p->role = role;
        auto r = dir.publish(role_entry(*p, role), off, sizeof(PortInfo), kDirTypePort);
        if (r) return 0;
        if (r.error().sys != EEXIST) {
            p->role = 0;
            return report(pmd_logtype, make_error(p->name + ": " + r.error().message, r.error().sys));
        }
    }
    p->role = 0;
    return report(pmd_logtype, make_error(p->name + ": link '" + p->args.link + "' on domain '" + p->args.domain +
                                              "' has two live ends already; give this port another link=NAME",
                                          EBUSY));
}

void fill_info(PortPrivate* p) {
    PortInfo* i = p->info;
    i->version = kPortInfoVersion;
    i->flags = p->args.zero_copy ? kPortInfoZeroCopy : 0;
    i->rx_queues = p->dev->data->nb_rx_queues;
    i->tx_queues = p->dev->data->nb_tx_queues;
    i->max_frame = kMaxFrame;
    std::memcpy(i->mac, p->mac.addr_bytes, sizeof(i->mac));
    __atomic_store_n(&i->magic, kPortInfoMagic, __ATOMIC_RELEASE);
}

void monitor_alarm(void* arg);

// One pass and the next alarm: 100 ms, or 10 ms when a queue was busy.
// Under p->ctl. False when the port is not started (no pass, no alarm).
bool monitor_locked(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    if (!p->started) return false;
    const bool complete = monitor_once(dev);
    if (rte_eal_alarm_set(complete ? kMonitorPeriodUs : kMonitorRetryUs, monitor_alarm, dev) != 0)
        MD_PMD_LOG(ERR, "%s: cannot re-arm the link monitor", p->name.c_str());
    return true;
}

void monitor_alarm(void* arg) {
    auto* dev = static_cast<rte_eth_dev*>(arg);
    PortPrivate* p = priv(dev);
    bool changed = false;
    {
        DomainLock l(&p->ctl);
        const bool before = p->link_up;
        if (!monitor_locked(dev)) return;
        changed = before != p->link_up;
    }
    // Outside the lock: an LSC callback may ask for the link (link_update).
    if (changed && dev->data->dev_conf.intr_conf.lsc != 0)
        rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, nullptr);
}

void set_link(PortPrivate* p, bool up) {
    if (p->link_up == up) return;
    p->link_up = up;
    ++p->link_changes;
    rte_eth_link link = p->dev->data->dev_link;
    link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    (void)rte_eth_linkstatus_set(p->dev, &link);
    MD_PMD_LOG(INFO, "%s: link %s (domain '%s', link '%s', role %c)", p->name.c_str(), up ? "up" : "down",
               p->args.domain.c_str(), p->args.link.c_str(), p->role);
}

// Waits (bounded) until the other end has taken every message we sent on
// each connected queue (ChannelProducer::unread), so a clean stop loses
// nothing in flight; and, in zero-copy, until it has handed back every
// frame we sent in place, whose mbufs go back to their pool here (a
// consumer that left is recovered: what it held comes back at once). Frames
// its application still holds at the deadline stay out of their pool:
// counted (tx_zero_copy_unreturned) and logged, never reused under it.
// Meanwhile our Rx queues hand back what our application freed: the other
// end may be stopping too, and waiting for those.
void drain(PortPrivate* p) {
    const std::uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * kDrainTimeoutMs / 1000;
    for (;;) {
        // The last pass counts what is still held.
        const bool last = rte_get_timer_cycles() > deadline;
        for (std::uint16_t q = 0; q < p->dev->data->nb_rx_queues; ++q) {
            if (p->rxq[q] == nullptr) continue;
            DomainLock l(&p->rxq[q]->lock);
            rx_queue_hand_back(p->rxq[q]);
        }
        bool pending = false;
        std::uint64_t held = 0;
        for (std::uint16_t q = 0; q < p->dev->data->nb_tx_queues; ++q) {
            TxQueue* t = p->txq[q];
            if (t == nullptr) continue;
            DomainLock l(&t->lock);
            if (!t->ch) continue;
            const bool alive = t->ch->consumer_alive();
            if (t->connected && alive && t->ch->unread() != 0) pending = true;
            if (t->ch->outstanding() == 0) continue;
            if (!alive) (void)t->ch->recover();
            tx_reclaim(t);
            held += t->ch->outstanding();
            if (last) t->unreturned += t->ch->outstanding();
        }
        if (!pending && held == 0) return;
        if (last) {
            if (pending)
                MD_PMD_LOG(WARNING, "%s: the other end did not take every packet in flight within %" PRIu64 " ms",
                           p->name.c_str(), kDrainTimeoutMs);
            if (held != 0)
                MD_PMD_LOG(WARNING, "%s: the other end still holds %" PRIu64 " frames sent in place after %" PRIu64
                                    " ms: their mbufs stay out of the pool",
                           p->name.c_str(), held, kDrainTimeoutMs);
            return;
        }
        rte_delay_us_sleep(1000);
    }
}

}  // namespace

std::string role_entry(const PortPrivate& p, char role) { return "netmd." + p.args.link + "." + role; }

std::string channel_entry(const PortPrivate& p, char role, std::uint16_t q) {
    return role_entry(p, role) + "." + std::to_string(q);
}

int link_start(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    {
        DomainLock l(&p->ctl);
        if (p->info == nullptr) {
            p->info = static_cast<PortInfo*>(
                rte_zmalloc_socket("netmd_port", sizeof(PortInfo), alignof(PortInfo), p->heap->socket_id()));
            if (p->info == nullptr) return -ENOMEM;
        }
        fill_info(p);
        if (int r = claim_role(p); r != 0) return r;
        for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q) {
            DomainLock lq(&p->txq[q]->lock);
            if (int r = create_tx_channel(p, p->txq[q]); r != 0) {
                for (std::uint16_t k = 0; k < q; ++k) p->txq[k]->ch.reset();  // not polled before start
                (void)Directory(p->shared->area()).withdraw(role_entry(*p, p->role));
                return r;
            }
        }
        p->started = true;
        p->link_up = false;
        // The first pass now (the other end may be waiting), then every 100 ms.
        (void)monitor_locked(dev);
    }
    return 0;
}

void link_stop(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    if (!p->started) return;
    drain(p);
    {
        DomainLock l(&p->ctl);
        p->started = false;
    }
    // Not under the lock: cancel waits for a running monitor, which takes it.
    rte_eal_alarm_cancel(monitor_alarm, dev);
    DomainLock l(&p->ctl);
    Directory dir(p->shared->area());
    (void)dir.withdraw(role_entry(*p, p->role));
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q) {
        if (p->txq[q] == nullptr) continue;
        DomainLock lq(&p->txq[q]->lock);
        p->txq[q]->ch.reset();  // withdraws its name; the memory stays ours until close
        p->txq[q]->connected = false;
    }
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q) {
        if (p->rxq[q] == nullptr) continue;
        DomainLock lq(&p->rxq[q]->lock);
        rx_queue_drop_channel(p->rxq[q]);
    }
    p->peer_info.reset();
    set_link(p, false);
    p->role = 0;
}

namespace {

// The Rx side of a pass for queue r (under its lock): drop a channel whose
// producer is gone, open the other end's channel when it is there.
void monitor_rx(PortPrivate* p, RxQueue* r, bool peer_up, bool wanted) {
    if (r->ch && (!peer_up || !r->ch->producer_alive())) rx_queue_drop_channel(r);
    if (r->ch || !wanted) return;
    auto c = ChannelConsumer::open(p->shared->area(), channel_entry(*p, other(p->role), r->qid));
    if (c) {
        r->ch.emplace(std::move(*c));
        r->ch_zero_copy = p->args.zero_copy && r->ch->config().mode == ChannelMode::ZeroCopy;
        ++r->generation;
        rx_queue_attached(r);
        if (r->intr_armed) intr_rearm_after_attach(r);
    } else if (c.error().sys != ENOENT && c.error().sys != EBUSY) {
        MD_PMD_LOG(DEBUG, "%s: Rx queue %u: %s", p->name.c_str(), r->qid, c.error().message.c_str());
    }
}

// The Tx side (under its lock): note a consumer that attached, recover
// from one that died (what it held comes back through reclaim).
void monitor_tx(PortPrivate* p, TxQueue* t) {
    if (!t->ch) return;
    const bool alive = t->ch->consumer_alive();
    if (alive && !t->connected) {
        t->connected = true;
    } else if (!alive && t->connected) {
        t->connected = false;
        auto r = t->ch->recover();
        if (!r) MD_PMD_LOG(DEBUG, "%s: Tx queue %u: recover: %s", p->name.c_str(), t->qid, r.error().message.c_str());
    }
}

}  // namespace

bool monitor_once(rte_eth_dev* dev) {
    PortPrivate* p = priv(dev);
    p->peer_info = read_peer_info(p);
    const bool peer_up = p->peer_info.has_value();
    bool up = peer_up, complete = true;
    for (std::uint16_t q = 0; q < dev->data->nb_rx_queues; ++q) {
        RxQueue* r = p->rxq[q];
        const bool wanted = peer_up && q < p->peer_info->tx_queues;
        if (!rte_spinlock_trylock(&r->lock)) {
            complete = false;  // in a burst: next pass
            up = up && (!wanted || r->ch.has_value());
            continue;
        }
        monitor_rx(p, r, peer_up, wanted);
        up = up && (!wanted || r->ch.has_value());
        rte_spinlock_unlock(&r->lock);
    }
    for (std::uint16_t q = 0; q < dev->data->nb_tx_queues; ++q) {
        TxQueue* t = p->txq[q];
        const bool wanted = peer_up && q < p->peer_info->rx_queues;
        if (!rte_spinlock_trylock(&t->lock)) {
            complete = false;
            up = up && (!wanted || t->connected);
            continue;
        }
        monitor_tx(p, t);
        up = up && (!wanted || t->connected);
        rte_spinlock_unlock(&t->lock);
    }
    set_link(p, up);
    return complete;
}

int link_update(rte_eth_dev* dev, int wait_to_complete) {
    (void)wait_to_complete;
    PortPrivate* p = priv(dev);
    rte_eth_link link = dev->data->dev_link;
    link.link_status = (p->started && p->link_up) ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    return rte_eth_linkstatus_set(dev, &link);
}

}  // namespace memdomain::dpdk::pmd
