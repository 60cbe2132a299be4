// One attachment per process and domain, shared by the heap adapter and
// every net_memdomain port on that domain.
//
// Why shared: a channel's zero-copy buffers must lie in its producer's
// arena, and the arena belongs to one attachment (peer id + join epoch). An
// application's mbuf pool on the domain's heap and the port's channels must
// therefore come from the same attachment, or the other end would refuse
// every buffer. It also keeps one peer id per process and domain, which is
// what max_peers counts.
//
// A Domain is not thread-safe and channels ring doorbells through it, so
// every call that may reach the Domain (channel send, recv, release, arm,
// disarm, open, close, recover) runs under lock(): one spinlock per
// attachment, uncontended while one lcore drives a port.
#pragma once

#include <rte_spinlock.h>

#include <memory>
#include <optional>
#include <string>

#include "memdomain/arena.h"
#include "memdomain/common/result.h"
#include "memdomain/data_area.h"
#include "memdomain/domain.h"

namespace memdomain::dpdk {

// How a domain is reached; empty directories resolve like libmemdomain's
// (environment, then the default) before they become part of the key.
struct DomainKey {
    std::string name;
    std::string socket_dir;
    std::string sysfs_root;
    TransportKind transport = TransportKind::Auto;
};

class DomainHeap;

class SharedDomain {
public:
    // The attachment for `key`, opened (and its data area attached, formatting
    // it if empty) on first use. Errors as Domain::open and DataArea::attach.
    static Result<std::shared_ptr<SharedDomain>> acquire(DomainKey key);
    // The live attachment for `key`, or null: never opens one.
    static std::shared_ptr<SharedDomain> find(DomainKey key);
    ~SharedDomain();

    const DomainKey& key() const { return key_; }
    Domain& domain() { return domain_; }
    DataArea& area() { return *area_; }
    rte_spinlock_t* lock() { return &lock_; }

    // The heap on this attachment's arena, if one was made (heap_registry.h).
    std::shared_ptr<DomainHeap> heap;

private:
    SharedDomain(DomainKey key, Domain domain);
    DomainKey key_;
    Domain domain_;
    std::optional<DataArea> area_;
    rte_spinlock_t lock_;
};

// RAII for SharedDomain::lock().
class DomainLock {
public:
    explicit DomainLock(rte_spinlock_t* l) : l_(l) { rte_spinlock_lock(l_); }
    ~DomainLock() { rte_spinlock_unlock(l_); }
    DomainLock(const DomainLock&) = delete;
    DomainLock& operator=(const DomainLock&) = delete;

private:
    rte_spinlock_t* l_;
};

}  // namespace memdomain::dpdk
