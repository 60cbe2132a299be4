// fork() and a Domain whose background reader holds a lock.
//
// fork() copies only the calling thread. If the reader thread of some
// Domain held that Domain's mutex at that moment, the child's copy of the
// mutex would stay locked forever and the child's first call on the Domain
// would hang. A ForkGuard registers one mutex with pthread_atfork handlers
// (installed once per process): before fork every registered mutex is
// locked, so no reader is inside one; after fork the parent unlocks them,
// and the child first runs the guard's `in_child` callback (which tells the
// Domain that its reader thread does not exist here) and then unlocks.
//
// Internal to libmemdomain's socket transport.
#pragma once

#include <functional>
#include <mutex>

namespace memdomain::detail {

class ForkGuard {
public:
    // `mu` and `in_child` must outlive the guard. `in_child` runs in the
    // child of a fork() with `mu` held, before it is released.
    ForkGuard(std::mutex& mu, std::function<void()> in_child);
    ~ForkGuard();
    ForkGuard(const ForkGuard&) = delete;
    ForkGuard& operator=(const ForkGuard&) = delete;

private:
    friend struct ForkGuardRegistry;
    std::mutex& mu_;
    std::function<void()> in_child_;
};

}  // namespace memdomain::detail
