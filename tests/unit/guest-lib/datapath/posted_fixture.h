// The fixture of the posted-buffer tests (channel_posted_test.cpp,
// channel_posted_hostile_test.cpp): a Channels fixture whose consumer also
// has an arena of its own, to lend buffers from.
#pragma once

#include <cstdlib>
#include <optional>
#include <set>
#include <vector>

#include "channel_fixture.h"

namespace memdomain::test {

class PostedChannels : public Channels {
protected:
    void SetUp() override {
        Channels::SetUp();
        if (HasFatalFailure()) return;
        rx_arena_.emplace(claim(*rx_area_));
    }
    static Arena claim(DataArea& area) {
        auto a = Arena::claim(area, 2 * kTestSlot);
        EXPECT_TRUE(a) << a.error().message;
        if (!a) std::abort();
        return std::move(a).value();
    }
    static ChannelConfig posted_config(std::uint32_t slots, std::uint32_t posted, std::uint32_t pool = 0,
                                       std::uint32_t buffer_size = 256) {
        ChannelConfig c = zero_copy_config(slots, pool, buffer_size);
        c.posted = posted;
        return c;
    }
    // A buffer of `capacity` bytes from a consumer's own arena, to lend.
    static Message own_buffer(Arena& arena, std::uint32_t capacity, std::uint64_t cookie) {
        auto off = arena.alloc(capacity);
        EXPECT_TRUE(off) << off.error().message;
        if (!off) std::abort();
        Message m;
        m.offset = *off;
        m.data = arena.data() + (*off - arena.offset());
        m.length = capacity;
        m.cookie = cookie;
        return m;
    }
    Message own_buffer(std::uint32_t capacity, std::uint64_t cookie) { return own_buffer(*rx_arena_, capacity, cookie); }
    // The cookies lent() lists.
    static std::multiset<std::uint64_t> lent_cookies(const ChannelConsumer& rx) {
        std::vector<Message> out(64);
        const std::uint32_t n = rx.lent(out);
        std::multiset<std::uint64_t> s;
        for (std::uint32_t k = 0; k < n; ++k) s.insert(out[k].cookie);
        return s;
    }
    static std::uint32_t lent_count(const ChannelConsumer& rx) {
        std::vector<Message> out(64);
        return rx.lent(out);
    }

    std::optional<Arena> rx_arena_;  // the consumer's own (destroyed before the areas)
};

// Sends messages numbered first, first + 1, ... of the given lengths.
inline Result<std::uint32_t> send_numbers(ChannelProducer& tx, std::uint64_t first, std::vector<std::size_t> lengths) {
    std::vector<std::vector<std::byte>> msgs;
    for (std::size_t k = 0; k < lengths.size(); ++k) msgs.push_back(payload(first + k, lengths[k]));
    std::vector<std::span<const std::byte>> spans(msgs.begin(), msgs.end());
    return tx.send_copy(spans);
}

}  // namespace memdomain::test
