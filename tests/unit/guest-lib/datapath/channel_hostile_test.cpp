// A hostile peer writing into a channel: impossible indices are EBADMSG,
// forged entries and returns are dropped and counted, and random scribbles
// over the whole channel while it streams never make either end read or
// write outside the data area or hand out a pointer outside the producer's
// arena.
#include <random>
#include <thread>

#include "channel_fixture.h"

namespace memdomain::test {
namespace {

using detail::ChannelHeader;
using detail::word64;

class HostileChannel : public Channels {
public:  // used by the free function below
    bool inside_arena(const Message& m) {
        const auto* p = static_cast<const std::byte*>(m.data);
        // The consumer's mapping (each attachment of this process maps the
        // segment at its own address).
        const std::byte* lo = rx_area_->data() + arena_->offset();
        return p >= lo && p + m.length <= lo + arena_->size();
    }
    // Writes an entry into ring `ring` (a data-area offset) at position pos.
    void forge(std::uint64_t ring, std::uint32_t stride, std::uint32_t shift, std::uint64_t pos, std::uint32_t mask,
               std::uint64_t offset, std::uint32_t length, std::uint16_t token) {
        std::byte* e = at(ring + (pos & mask) * stride);
        word64(e).store(detail::entry_word0(offset, 0));
        word64(e + 8).store(detail::entry_word1(length, token, detail::marker_for(pos, shift)));
    }
};

TEST_F(HostileChannel, AnImpossibleConsumerIndexIsEBADMSGAndARepairedOneWorks) {
    const ChannelConfig c = copy_config(4, 64);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::byte b[8]{};
    std::vector<std::span<const std::byte>> four(4, std::span<const std::byte>(b));
    ASSERT_EQ(*tx.send_copy(four), 4u);
    ChannelHeader* h = header(tx);
    for (std::uint64_t bad : {std::uint64_t{5}, std::uint64_t{1} << 60, ~std::uint64_t{0}}) {
        word64(&h->fwd_tail).store(bad);
        auto r = tx.send_copy(four);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().sys, EBADMSG) << r.error().message;
    }
    word64(&h->fwd_tail).store(2);
    EXPECT_EQ(*tx.send_copy(four), 2u);
}

TEST_F(HostileChannel, AnImpossibleReturnIndexIsEBADMSGForTheConsumer) {
    ChannelProducer tx = make(zero_copy_config(4, 4));
    ChannelConsumer rx = open();
    std::vector<Message> m(4), in(4);
    ASSERT_EQ(*tx.alloc(m), 4u);
    ASSERT_EQ(*tx.send(m), 4u);
    ASSERT_EQ(*rx.recv(in), 4u);
    ASSERT_TRUE(rx.release(std::span(in).subspan(0, 4)));  // the return ring is now full
    word64(&header(tx)->ret_tail).store(99);
    auto r = rx.release(std::span(in).subspan(0, 1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, EBADMSG);
}

TEST_F(HostileChannel, ForgedEntriesAreDroppedAndNeverPointOutsideTheProducersArena) {
    ChannelConfig c = zero_copy_config(16, 8);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::channel_geometry(c.mode, c.slots, 0);
    const std::uint64_t fwd = tx.offset() + g.fwd_offset;
    const std::uint64_t a = arena_->offset(), n = arena_->size();
    // Positions 0..5: outside the data area, before and across the arena's
    // edges, a wrapping range, then one good entry.
    const std::uint64_t offs[] = {~std::uint64_t{0} & detail::kOffsetMask, 0, a - 64, a + n - 16, a + 64, a + 128};
    const std::uint32_t lens[] = {64, 64, 128, 32, 0xffffffffu, 64};
    for (std::uint64_t pos = 0; pos < 6; ++pos) forge(fwd, 16, g.shift, pos, 15, offs[pos], lens[pos], 0);
    std::vector<Message> in(16);
    auto got = rx.recv(in);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(in[0].offset, a + 128);
    EXPECT_TRUE(inside_arena(in[0]));
    EXPECT_EQ(rx.stats().invalid, 5u);
}

TEST_F(HostileChannel, ForgedCopyEntriesLongerThanTheirSlotAreDropped) {
    const ChannelConfig c = copy_config(8, 48);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::channel_geometry(c.mode, c.slots, c.slot_payload);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 0, 7, 0, 49, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 1, 7, 0, 0xffffffffu, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 2, 7, 0, 48, 0);
    std::byte b[16];
    std::uint32_t lens[4];
    std::vector<std::span<std::byte>> into(4, std::span<std::byte>(b));
    auto got = rx.recv_copy(into, lens);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, 1u);
    EXPECT_EQ(lens[0], 48u);  // full length reported, 16 bytes copied
    EXPECT_EQ(rx.stats().invalid, 2u);
}

TEST_F(HostileChannel, PeekSkipsForgedLengthsAndPointsOnlyAtItsOwnSlots) {
    const ChannelConfig c = copy_config(8, 48);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::channel_geometry(c.mode, c.slots, c.slot_payload);
    // Offsets in the descriptors point far away: the consumer never uses them.
    const std::uint64_t far = detail::kOffsetMask;
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 0, 7, far, 49, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 1, 7, far, 0xffffffffu, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 2, 7, far, 48, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 3, 7, 0, 0, 0);
    std::vector<Message> in(8);
    // peek() looks only as far as the producer's head says; an impossible
    // head is ignored (the markers decide).
    word64(&header(tx)->fwd_head).store(0);
    EXPECT_EQ(*rx.peek(in), 0u);
    word64(&header(tx)->fwd_head).store(~std::uint64_t{0});
    auto got = rx.peek(in);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, 2u);
    const std::byte* slots = rx_area_->data() + tx.offset() + g.slots_offset;
    EXPECT_EQ(in[0].data, slots + 2 * g.slot_stride);
    EXPECT_EQ(in[0].length, 48u);
    EXPECT_EQ(in[1].data, slots + 3 * g.slot_stride);
    EXPECT_EQ(in[1].length, 0u);
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(rx.stats().invalid, 2u);
    EXPECT_EQ(rx.stats().messages, 2u);
}

TEST_F(HostileChannel, ZeroCopyPeekNeverShowsAForgedRangeOrAnOversizedInlineMessage) {
    ChannelConfig c = zero_copy_config(16, 8);
    c.inline_payload = 64;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::channel_geometry(c.mode, c.slots, c.inline_payload);
    const std::uint64_t fwd = tx.offset() + g.fwd_offset;
    const std::uint64_t a = arena_->offset();
    // 0: a range outside the arena (at the front: handed straight back);
    // 1: inline, too long for its slot; 2: inline, fine; 3: a good range;
    // 4: a range outside the arena behind shown messages (ends the peek).
    forge(fwd, 16, g.shift, 0, 15, 0, 64, 3);
    forge(fwd, 16, g.shift, 1, 15, 0, 65, detail::kInlineToken);
    forge(fwd, 16, g.shift, 2, 15, 0, 64, detail::kInlineToken);
    forge(fwd, 16, g.shift, 3, 15, a + 128, 64, 5);
    forge(fwd, 16, g.shift, 4, 15, 0, 64, 6);
    word64(&header(tx)->fwd_head).store(5);
    std::vector<Message> in(16);
    auto got = rx.peek(in);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, 2u);
    const std::byte* slots = rx_area_->data() + tx.offset() + g.slots_offset;
    EXPECT_EQ(in[0].data, slots + 2 * g.slot_stride);  // its own slot, whatever the descriptor says
    EXPECT_EQ(in[0].cookie, kChannelInlineCookie);
    EXPECT_EQ(in[1].offset, a + 128);
    EXPECT_TRUE(inside_arena(in[1]));
    EXPECT_EQ(rx.stats().invalid, 1u);  // entry 0, returned already
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(rx.stats().invalid, 2u);  // entry 1
    auto next = rx.peek(in);  // entry 4 leads now: handed back, nothing shown
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, 0u);
    EXPECT_EQ(rx.stats().invalid, 3u);
    EXPECT_EQ(rx.stats().returned, 2u);
}

TEST_F(HostileChannel, AnInlineTokenOnAChannelWithoutSlotsIsDropped) {
    ChannelConfig c = zero_copy_config(8, 4);  // no inline slots
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::channel_geometry(c.mode, c.slots, 0);
    forge(tx.offset() + g.fwd_offset, 16, g.shift, 0, 7, 0, 0, detail::kInlineToken);
    word64(&header(tx)->fwd_head).store(1);
    std::vector<Message> in(4);
    ASSERT_EQ(*rx.peek(in), 0u);
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(rx.stats().invalid, 1u);
    // A real empty message (on a fresh channel: this one's positions were
    // forged) still goes through the pool, not a slot.
    ChannelProducer tx2 = make(c, "link2");
    ChannelConsumer rx2 = open("link2");
    std::vector<std::span<const std::byte>> empty(1);
    ASSERT_EQ(*tx2.send_copy(empty), 1u);
    ASSERT_EQ(*rx2.recv(in), 1u);
    EXPECT_NE(in[0].cookie, kChannelInlineCookie);
    EXPECT_EQ(in[0].length, 0u);
    EXPECT_TRUE(inside_arena(in[0]));
}

TEST_F(HostileChannel, ReturnsOfWhatWasNeverSentAreDropped) {
    ChannelConfig c = zero_copy_config(8, 8);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::vector<Message> m(2), in(2);
    ASSERT_EQ(*tx.alloc(m), 2u);
    ASSERT_EQ(*tx.send(m), 2u);
    ASSERT_EQ(*rx.recv(in), 2u);
    const auto g = detail::channel_geometry(c.mode, c.slots, 0);
    const std::uint64_t ret = tx.offset() + g.ret_offset;
    // A hostile consumer returns: a token never issued, a real token at the
    // wrong offset, a token out of range, then the real one twice.
    const auto t = static_cast<std::uint16_t>(in[0].cookie);
    forge(ret, 16, g.shift, 0, 7, in[0].offset, 8, static_cast<std::uint16_t>((t + 3) % 8));
    forge(ret, 16, g.shift, 1, 7, in[0].offset + 128, 8, t);
    forge(ret, 16, g.shift, 2, 7, in[0].offset, 8, 9999);
    forge(ret, 16, g.shift, 3, 7, in[0].offset, 8, t);
    forge(ret, 16, g.shift, 4, 7, in[0].offset, 8, t);
    std::vector<Message> back(8);
    auto n = tx.reclaim(back);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 1u);
    EXPECT_EQ(back[0].offset, in[0].offset);
    EXPECT_EQ(tx.stats().invalid, 4u);
    // The forged and repeated returns moved nothing: one is still out.
    EXPECT_EQ(tx.outstanding(), 1u);
}

// Streams zero-copy or copy messages while a third thread writes random
// words anywhere in the channel's memory. Both ends keep going through
// errors; every message the consumer gets must lie in the producer's arena.
void scribble_while_streaming(HostileChannel& t, ChannelProducer& tx, ChannelConsumer& rx, std::byte* mem,
                              std::uint64_t bytes, bool zero_copy, int* outside) {
    std::atomic<bool> stop{false};
    std::thread hostile([&] { scribble_words(mem, bytes, 99, stop); });
    std::thread producer = send_until(tx, stop, zero_copy);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    std::vector<Message> in(16);
    std::byte b[256];
    std::uint32_t lens[16];
    std::vector<std::span<std::byte>> into(16, std::span<std::byte>(b));
    while (std::chrono::steady_clock::now() < until) {
        if (zero_copy) {
            auto n = rx.recv(in);
            if (!n) continue;
            for (std::uint32_t k = 0; k < *n; ++k)
                if (!t.inside_arena(in[k])) ++*outside;
            (void)rx.release(std::span(in).subspan(0, *n));
        } else {
            (void)rx.recv_copy(into, lens);
        }
    }
    stop = true;
    hostile.join();
    producer.join();
}

TEST_F(HostileChannel, RandomScribblesWhileStreamingZeroCopyNeverEscapeTheArena) {
    ChannelConfig c = zero_copy_config(32, 48);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    int outside = 0;
    scribble_while_streaming(*this, tx, rx, at(tx.offset()), channel_memory_size(c), true, &outside);
    EXPECT_EQ(outside, 0);
    EXPECT_GT(rx.stats().messages + rx.stats().invalid, 0u);
}

TEST_F(HostileChannel, RandomScribblesWhileStreamingCopyModeNeverCrash) {
    const ChannelConfig c = copy_config(32, 128);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    int outside = 0;
    scribble_while_streaming(*this, tx, rx, at(tx.offset()), channel_memory_size(c), false, &outside);
    EXPECT_GT(rx.stats().messages + rx.stats().invalid, 0u);
}

}  // namespace
}  // namespace memdomain::test
