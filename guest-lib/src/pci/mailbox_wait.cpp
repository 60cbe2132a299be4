// Implementation of mailbox_wait.h.
#include "pci/mailbox_wait.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "memdomain/domain.h"

namespace memdomain::pci {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

}  // namespace

std::uint64_t load_mailbox(const std::uint64_t* word) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(*word)).load(std::memory_order_acquire);
}

void bump_mailbox(std::uint64_t* word) {
    std::atomic_ref<std::uint64_t>(*word).fetch_add(1, std::memory_order_release);
}

std::uint64_t wait_mailbox(const std::uint64_t* word, std::uint64_t& last_seen, std::chrono::milliseconds timeout,
                           const MailboxWaitTuning& tuning) {
    using clock = std::chrono::steady_clock;
    auto changed = [&]() -> std::uint64_t {
        const std::uint64_t now = load_mailbox(word);
        const std::uint64_t delta = now - last_seen;
        last_seen = now;
        return std::min(delta, kMaxWaitCount);
    };
    if (std::uint64_t d = changed()) return d;
    if (timeout.count() == 0) return 0;

    const auto start = clock::now();
    const bool forever = timeout.count() < 0;
    const auto deadline = start + timeout;
    const auto spin_until = forever ? start + tuning.spin : std::min(start + tuning.spin, deadline);
    while (clock::now() < spin_until) {
        for (int i = 0; i < 64; ++i) cpu_relax();
        if (std::uint64_t d = changed()) return d;
    }
    auto step = tuning.first_sleep;
    for (;;) {
        auto now = clock::now();
        if (!forever && now >= deadline) return changed();
        auto nap = forever ? step : std::min<clock::duration>(step, deadline - now);
        std::this_thread::sleep_for(nap);
        if (std::uint64_t d = changed()) return d;
        step = std::min(step * 2, tuning.max_sleep);
    }
}

}  // namespace memdomain::pci
