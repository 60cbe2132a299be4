// Waiting for a doorbell without interrupts: every notifier bumps the
// target's mailbox word (peer, vector) in the segment before it rings, so a
// guest without vfio can watch its own word change. Spins briefly (cheap
// when the answer is near), then sleeps in growing steps up to a small cap
// so an idle waiter costs little CPU while latency stays well under 1 ms.
#pragma once

#include <chrono>
#include <cstdint>

namespace memdomain::pci {

struct MailboxWaitTuning {
    std::chrono::microseconds spin{20};
    std::chrono::microseconds first_sleep{20};
    std::chrono::microseconds max_sleep{500};
};

// Waits until the shared word differs from `last_seen`, at most `timeout`
// (0: look once; negative: forever). Returns how many bumps happened (the
// difference, modulo 2^64, capped at kMaxWaitCount: any R/W peer can write
// any value to the word, or move it backwards) and moves `last_seen`
// forward; 0 on timeout.
std::uint64_t wait_mailbox(const std::uint64_t* word, std::uint64_t& last_seen, std::chrono::milliseconds timeout,
                           const MailboxWaitTuning& tuning = {});

// The current value, read atomically (acquire).
std::uint64_t load_mailbox(const std::uint64_t* word);
// Adds one (release), before the doorbell write that announces it.
void bump_mailbox(std::uint64_t* word);

}  // namespace memdomain::pci
