// Implementation of fork_guard.h: one process-wide list of guarded mutexes
// and the three pthread_atfork handlers that walk it.
#include "socket/fork_guard.h"

#include <pthread.h>

#include <vector>

namespace memdomain::detail {

struct ForkGuardRegistry {
    std::mutex mu;  // taken before any guarded mutex, never after
    std::vector<ForkGuard*> guards;

    static ForkGuardRegistry& get() {
        // Never destroyed: a Domain destroyed after main() returned (a static
        // object's) must still find it.
        static auto* r = new ForkGuardRegistry;
        return *r;
    }
    static void prepare() {
        ForkGuardRegistry& r = get();
        r.mu.lock();
        for (ForkGuard* g : r.guards) g->mu_.lock();
    }
    static void parent() {
        ForkGuardRegistry& r = get();
        for (ForkGuard* g : r.guards) g->mu_.unlock();
        r.mu.unlock();
    }
    static void child() {
        ForkGuardRegistry& r = get();
        for (ForkGuard* g : r.guards) {
            g->in_child_();
            g->mu_.unlock();
        }
        r.mu.unlock();
    }
};

ForkGuard::ForkGuard(std::mutex& mu, std::function<void()> in_child) : mu_(mu), in_child_(std::move(in_child)) {
    static std::once_flag installed;
    std::call_once(installed, [] {
        ::pthread_atfork(&ForkGuardRegistry::prepare, &ForkGuardRegistry::parent, &ForkGuardRegistry::child);
    });
    ForkGuardRegistry& r = ForkGuardRegistry::get();
    std::lock_guard lock(r.mu);
    r.guards.push_back(this);
}

ForkGuard::~ForkGuard() {
    ForkGuardRegistry& r = ForkGuardRegistry::get();
    std::lock_guard lock(r.mu);
    std::erase(r.guards, this);
}

}  // namespace memdomain::detail
