// The producer end's private state: its positions, the record of every
// zero-copy message in flight (what a return is checked against), and the
// library's buffer pool. None of it lives in shared memory. Internal.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "channel_view.h"
#include "memdomain/channel.h"

namespace memdomain {

struct ChannelProducer::State {
    detail::ChannelView v;
    Arena* arena = nullptr;
    std::string name;
    bool published = false;
    std::uint64_t mem_alloc = kNone, pool_alloc = kNone;  // what create() took from the arena
    static constexpr std::uint64_t kNone = ~std::uint64_t{0};

    std::uint64_t prod = 0;        // next forward position
    std::uint64_t tail_cache = 0;  // the consumer's fwd_tail, as last read
    std::uint64_t ret_cons = 0;    // next return position

    // Zero-copy: one record per token; a token travels with each message.
    struct Flight {
        std::uint64_t offset = 0;
        std::uint64_t cookie = 0;
        std::uint32_t length = 0;
        std::uint16_t flags = 0;
        bool in_use = false;
        bool internal = false;  // a pool buffer send_copy took: freed on return, not reported
    };
    std::vector<Flight> flights;
    std::vector<std::uint16_t> free_tokens;
    std::uint32_t sent_in_flight = 0;  // flights of send() (not internal)
    std::deque<Message> returned;  // reclaimed or recovered, not yet handed out

    // Posting: the consumer's posts, checked, oldest first (a ring of
    // `slots` entries, a power of two above the `posted` we may hold), which
    // tokens we hold, and the consumer word they came with (a new consumer
    // never gets an old one's buffers filled).
    struct Post {
        std::uint64_t offset = 0;
        std::uint32_t capacity = 0;
        std::uint16_t token = 0;
    };
    std::vector<Post> posts;
    std::uint32_t post_head = 0, post_count = 0, post_mask = 0;
    std::vector<std::uint8_t> post_held;
    std::uint64_t post_owner = 0;

    // The pool: pool_count buffers of pool_size bytes from pool_offset.
    std::uint64_t pool_offset = 0;
    std::uint32_t pool_count = 0, pool_size = 0;
    std::vector<std::uint32_t> pool_free;
    std::vector<std::uint8_t> pool_is_free;

    ChannelStats stats;

    // A payload into shared memory (nothing for an empty one: its span may
    // have no data). The C library's copy: DPDK's rte_memcpy (SSE in
    // Debian's build) made net_memdomain's Tx a quarter slower at 1500 B.
    static void copy_in(void* dst, const std::byte* src, std::uint32_t len) {
        if (len != 0) std::memcpy(dst, src, len);
    }

    // Room in the forward ring for up to `want` entries (EBADMSG: the
    // consumer's tail is impossible).
    Result<std::uint32_t> room(std::uint32_t want, std::memory_order order = std::memory_order_acquire);
    // Writes one forward entry at prod and advances it.
    void put(std::uint64_t offset, std::uint32_t length, std::uint16_t flags, std::uint16_t token);
    // After a batch: publish the head and ring a sleeping consumer.
    void finish_batch();
    // Takes returns off the return ring: pool buffers of send_copy go back
    // to the pool, the rest to `returned`.
    void drain_returns();
    void settle_flight(std::uint16_t token);
    // A post read off the return ring while consumer word c is attached:
    // kept when it is sound (else counted invalid).
    void take_post(std::uint64_t word0, std::uint64_t word1, std::uint64_t c);
    // Drops the posts we hold when the consumer word is no longer the one
    // they came with; returns that word.
    std::uint64_t check_post_owner();
    void drop_posts();
    bool has_work();
    Message pool_message(std::uint32_t index) const;
};

}  // namespace memdomain
