// What both ends of a channel keep privately about it: pointers computed
// from their own validated geometry (never from shared memory), and the two
// halves of the sleep/wake protocol. Internal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "area_core.h"
#include "channel_layout.h"
#include "memdomain/channel.h"
#include "shared_word.h"

namespace memdomain::detail {

// Asks for ownership of the lines of [p, p + len) ahead of the stores
// that will write them (PREFETCHW; where a CPU lacks it, a no-op). Stores
// leave the store buffer in program order, so one that misses holds up
// every store behind it; a prefetch asks for all the lines at once. At
// most the first 2 KiB: further on, the CPU's own stream prefetcher is
// ahead of a copy.
inline void prefetch_for_write(const std::byte* p, std::uint64_t len) {
    constexpr std::uint64_t kMost = 2048;
    for (std::uint64_t o = 0; o < len && o < kMost; o += 64) {
#if defined(__x86_64__) || defined(__i386__)
        asm volatile("prefetchw %0" : : "m"(*(p + o)));
#else
        __builtin_prefetch(p + o, 1);
#endif
    }
}

struct ChannelView {
    AreaCore* core = nullptr;
    ChannelHeader* hdr = nullptr;
    std::byte* fwd = nullptr;  // forward entry 0
    std::byte* slot0 = nullptr;  // payload slot 0 (copy mode), else nullptr
    std::byte* ret = nullptr;  // return entry 0 (zero-copy), else nullptr
    std::uint64_t offset = 0;  // the channel's data-area offset
    std::uint64_t slots_offset = 0;  // data-area offset of payload slot 0 (copy mode)
    std::uint32_t slots = 0, mask = 0, shift = 0, slot_stride = 0;
    std::uint32_t ret_slots = 0, ret_mask = 0, ret_shift = 0;  // the return ring (its own size with posting)
    bool posting = false;
    ChannelMode mode = ChannelMode::Copy;
    std::uint32_t slot_payload = 0;
    std::uint64_t region_offset = 0, region_size = 0;  // where zero-copy buffers may lie
    Attachment producer;
    ChannelConfig config;

    std::byte* fwd_entry(std::uint64_t pos) const { return fwd + std::uint64_t(pos & mask) * kDescriptorSize; }
    // Copy mode: the payload slot of position pos, from our own geometry.
    std::byte* slot(std::uint64_t pos) const { return slot0 + std::uint64_t(pos & mask) * slot_stride; }
    std::uint64_t slot_offset(std::uint64_t pos) const { return slots_offset + std::uint64_t(pos & mask) * slot_stride; }
    // Whether a message of `len` bytes fits in a slot (false without slots).
    bool slot_holds(std::uint64_t len) const { return slot0 != nullptr && len <= slot_payload; }
    std::byte* ret_entry(std::uint64_t pos) const { return ret + std::uint64_t(pos & ret_mask) * kDescriptorSize; }
    // Before writing n forward entries from pos: their lines, which the
    // consumer read last lap, are fetched for writing. A line that also
    // holds entries before pos is left alone (the consumer may be reading
    // them).
    void prefetch_fwd(std::uint64_t pos, std::uint32_t n) const {
        constexpr std::uint64_t per_line = 64 / kDescriptorSize;
        for (std::uint64_t p = (pos + per_line - 1) & ~(per_line - 1); p < pos + n; p += per_line)
            prefetch_for_write(fwd_entry(p), 1);
    }
    bool in_region(std::uint64_t off, std::uint64_t len) const {
        return off >= region_offset && off - region_offset <= region_size && len <= region_size - (off - region_offset);
    }
    // Posting: whether a consumer may lend [off, off + len): not empty,
    // inside the arenas, and outside the producer's arena (so never its
    // rings, pool or buffers). Both ends check with this: the consumer
    // before posting, the producer before keeping a post.
    bool lendable(std::uint64_t off, std::uint64_t len) const {
        const std::uint64_t end = core->arena_area_end();
        if (len == 0 || off < core->geo.arena_offset || off > end || len > end - off) return false;
        return off + len <= region_offset || off >= region_offset + region_size;
    }
    // Points the view at a channel of geometry g built at data-area offset
    // `at` (both ends: the producer from its config, the consumer from the
    // geometry it computed and checked itself).
    void place(AreaCore& c, std::uint64_t at, const ChannelGeometry& g, std::uint32_t n_slots, ChannelMode m) {
        core = &c;
        offset = at;
        hdr = reinterpret_cast<ChannelHeader*>(c.data + at);
        fwd = c.data + at + g.fwd_offset;
        slot0 = g.slots_offset != 0 ? c.data + at + g.slots_offset : nullptr;
        slots_offset = g.slots_offset != 0 ? at + g.slots_offset : 0;
        ret = g.ret_offset != 0 ? c.data + at + g.ret_offset : nullptr;
        slots = n_slots;
        mask = n_slots - 1;
        shift = g.shift;
        slot_stride = g.slot_stride;
        ret_slots = g.ret_slots;
        ret_mask = g.ret_slots != 0 ? g.ret_slots - 1 : 0;
        ret_shift = g.ret_shift;
        posting = g.ret_slots > n_slots;
        mode = m;
    }
    // Entry words (word0 at +0, word1 at +8).
    static std::atomic_ref<std::uint64_t> w0(std::byte* e) { return word64(e); }
    static std::atomic_ref<std::uint64_t> w1(std::byte* e) { return word64(e + 8); }
    // Whether the forward entry at `pos` holds what was written for pos.
    bool ready(std::byte* e, std::uint64_t pos, std::uint64_t& word1, std::memory_order order) const {
        word1 = w1(e).load(order);
        return static_cast<std::uint16_t>(word1 >> 48) == marker_for(pos, shift);
    }
    // The same for the return entry at `pos`.
    bool ret_ready(std::byte* e, std::uint64_t pos, std::uint64_t& word1, std::memory_order order) const {
        word1 = w1(e).load(order);
        return static_cast<std::uint16_t>(word1 >> 48) == marker_for(pos, ret_shift);
    }
};

// Room for up to `want` more entries in a ring this side writes at `pos`,
// from the reader's position: `cached`, refreshed from the reader's shared
// word only when it does not show enough room. An impossible position (ahead
// of ours, or more than a ring behind) is EBADMSG.
inline Result<std::uint32_t> ring_room(std::uint64_t pos, std::uint64_t& cached, std::uint64_t* shared,
                                       std::uint32_t slots, std::uint32_t want, std::memory_order order,
                                       const char* whose) {
    std::uint64_t avail = slots - (pos - cached);
    if (avail < want) {
        const std::uint64_t t = word64(shared).load(order);
        if (t > pos || pos - t > slots)
            return make_error(std::string("channel: ") + whose + " index " + std::to_string(t) +
                                  " is impossible (ours is " + std::to_string(pos) + ")",
                              EBADMSG);
        cached = t;
        avail = slots - (pos - t);
    }
    return static_cast<std::uint32_t>(avail < want ? avail : want);
}

// Called by a writer right after its publishing stores: a full fence, then
// the other side's sleeping word; rings it if it sleeps, once per sleep
// (1 -> 2). With the fence in sleep_until between the sleeper's announcing
// store and its last look at the ring, either the sleeper sees our stores
// or we see its word (store-fence-load on both sides): no lost wake-up.
inline bool wake_if_sleeping(AreaCore& core, std::uint32_t* sleeping, std::uint32_t peer, std::uint32_t vector) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    auto w = word32(sleeping);
    std::uint32_t s = w.load(std::memory_order_relaxed);
    if (s != kSleeping || !w.compare_exchange_strong(s, kRung, std::memory_order_seq_cst)) return false;
    if (core.port->notify(peer, vector)) return true;
    // The peer is in the segment header but our Domain has not read the
    // server's join message yet (it is on its way: the server announces a
    // join after the joiner's own open returned). Give it a moment rather
    // than leave a sleeper without its doorbell.
    if (header_is_present(core.live_header, peer)) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        while (std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            if (core.port->notify(peer, vector)) return true;
        }
    }
    // Not delivered (a peer id we do not know, or one that left): leave the
    // word saying "sleeping" so the next writer tries again.
    std::uint32_t rung = kRung;
    w.compare_exchange_strong(rung, kSleeping, std::memory_order_relaxed);
    return false;
}

// The sleeping half: announce, fence, look again, only then wait on the
// doorbell.
template <class HasWork>
Result<bool> sleep_until(AreaCore& core, std::uint32_t* sleeping, std::uint32_t vector,
                         std::chrono::milliseconds timeout, HasWork has_work, ChannelStats& stats) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + (timeout.count() < 0 ? std::chrono::milliseconds(0) : timeout);
    auto word = word32(sleeping);
    for (;;) {
        if (has_work()) return true;
        word.store(kSleeping, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (has_work()) {
            word.store(kAwake, std::memory_order_relaxed);
            return true;
        }
        std::chrono::milliseconds left(-1);
        if (timeout.count() >= 0) {
            const auto now = clock::now();
            if (now >= deadline) {
                word.store(kAwake, std::memory_order_relaxed);
                return false;
            }
            left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
        }
        ++stats.sleeps;
        auto r = core.port->wait(vector, left);
        word.store(kAwake, std::memory_order_relaxed);
        if (!r) return std::move(r).error();
    }
}

// arm(): the first half of sleep_until for event loops.
template <class HasWork>
bool arm_sleep(std::uint32_t* sleeping, HasWork has_work) {
    auto word = word32(sleeping);
    word.store(kSleeping, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!has_work()) return true;
    word.store(kAwake, std::memory_order_relaxed);
    return false;
}

inline void disarm_sleep(AreaCore& core, std::uint32_t* sleeping, std::uint32_t vector) {
    word32(sleeping).store(kAwake, std::memory_order_relaxed);
    (void)core.port->wait(vector, std::chrono::milliseconds(0));  // drain the coalesced count
}

}  // namespace memdomain::detail
