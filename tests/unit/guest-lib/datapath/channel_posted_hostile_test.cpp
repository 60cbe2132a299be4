// Hostile peers on a channel with posted buffers (ChannelConfig::posted),
// writing the rings directly as channel_layout.h lays them out: forged
// posts never make the producer write outside the consumer's arenas, and
// forged fills never make the consumer show anything but its own buffers,
// at most as long as it lent them, nor lose one.
#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "posted_fixture.h"

namespace memdomain::test {
namespace {

using detail::word64;

class HostilePosts : public PostedChannels {
protected:
    // Writes entry `pos` of the ring of `entries` 16-byte descriptors at
    // data-area offset `ring`, with the marker of that position.
    void forge(std::uint64_t ring, std::uint32_t entries, std::uint32_t shift, std::uint64_t pos, std::uint16_t flags,
               std::uint64_t offset, std::uint32_t length, std::uint16_t token) {
        std::byte* e = at(ring + (pos & (entries - 1)) * detail::kDescriptorSize);
        word64(e).store(detail::entry_word0(offset, flags));
        word64(e + 8).store(detail::entry_word1(length, token, detail::marker_for(pos, shift)));
    }
    std::uint64_t word1_at(std::uint64_t ring, std::uint32_t entries, std::uint64_t pos) {
        return word64(at(ring + (pos & (entries - 1)) * detail::kDescriptorSize + 8)).load();
    }
    std::vector<std::byte> bytes(std::uint64_t off, std::uint64_t len) {
        return std::vector<std::byte>(at(off), at(off) + len);
    }
    std::uint64_t arenas_end() const {
        const DataAreaInfo& i = rx_area_->info();
        return i.arena_offset + std::uint64_t{i.arena_slots} * i.arena_slot_size;
    }
};

TEST_F(HostilePosts, ForgedPostsAreCountedAndNothingIsWrittenWhereTheyPoint) {
    ChannelConfig c = zero_copy_config(64, 64, 256);
    c.posted = 4;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();  // attached; the posts below are forged in its place
    const auto g = detail::config_geometry(c);
    ASSERT_TRUE(g.ok);
    ASSERT_EQ(g.ret_slots, 128u);
    const std::uint64_t ret = tx.offset() + g.ret_offset;
    (void)own_buffer(256, 0);  // keeps the buffers below off the consumer arena's first line
    const Message v1 = own_buffer(64, 0), v2 = own_buffer(256, 0), v3 = own_buffer(256, 0), v4 = own_buffer(256, 0),
                  v5 = own_buffer(256, 0);
    auto target = arena_->alloc(256);
    ASSERT_TRUE(target);
    const std::uint64_t producer_end = arena_->offset() + arena_->size();
    struct Post {
        std::uint64_t offset;
        std::uint32_t capacity;
        std::uint16_t token;
        std::uint16_t flags;
        bool good;
        const char* what;
    };
    // Posts carry the tag of the consumer attached now.
    const std::uint16_t tag = detail::post_tag(word64(&header(tx)->consumer).load());
    const auto other_tag = static_cast<std::uint16_t>(tag ^ 2);
    ASSERT_NE(tag, detail::kEntryPost);
    const Post posts[] = {
        {v1.offset, 64, 1, tag, true, "a good post, too small for most messages"},
        {*target, 256, 0, tag, false, "a buffer in the producer's arena"},
        {tx.offset(), 512, 2, tag, false, "the channel's own header"},
        {0, 256, 2, tag, false, "the superblock: outside the arenas"},
        {rx_area_->size() - 64, 4096, 2, tag, false, "past the data area's end"},
        {detail::kOffsetMask - 63, 128, 2, tag, false, "the largest offsets"},
        {producer_end - 64, 128, 2, tag, false, "across the producer arena's end"},
        {arenas_end() - 64, 128, 2, tag, false, "across the arenas' end"},
        {v2.offset, 0, 2, tag, false, "empty"},
        {v3.offset, 256, 1, tag, false, "token 1 again, while the producer holds it"},
        {v4.offset, 256, 4, tag, false, "token == posted"},
        {v4.offset, 256, 0x7fff, tag, false, "a token far out"},
        {v4.offset, 256, detail::kPostedTokenBit | 2, tag, false, "a token with the posted bit"},
        {v4.offset, 256, 2, other_tag, false, "another consumer's tag"},
        {v4.offset, 256, 2, detail::kEntryPost, false, "no tag"},
        {v5.offset, 256, 3, tag, true, "a good post"},
    };
    // What must not change: the superblock and the channel's first line as
    // they are; the rest filled with a pattern first.
    struct Region {
        std::uint64_t offset, length;
    };
    std::vector<Region> watched = {{0, 256},
                                   {tx.offset(), 64},
                                   {*target, 256},
                                   {v2.offset, 256},
                                   {v3.offset, 256},
                                   {v4.offset, 256},
                                   {producer_end - 64, 128},
                                   {arenas_end() - 64, 64},
                                   {rx_area_->size() - 64, 64}};
    for (std::size_t k = 2; k < watched.size(); ++k) std::memset(at(watched[k].offset), 0xee, watched[k].length);
    std::vector<std::vector<std::byte>> before;
    for (const Region& r : watched) before.push_back(bytes(r.offset, r.length));

    std::uint64_t bad = 0;
    for (std::uint64_t pos = 0; pos < std::size(posts); ++pos) {
        forge(ret, g.ret_slots, g.ret_shift, pos, posts[pos].flags, posts[pos].offset, posts[pos].capacity,
              posts[pos].token);
        if (!posts[pos].good) ++bad;
    }

    // 200 bytes never fit the oldest post (64): the pool. Then 32 fits it,
    // and 100 the next good one.
    ASSERT_EQ(*send_numbers(tx, 0, std::vector<std::size_t>(8, 200)), 8u);
    ASSERT_EQ(*send_numbers(tx, 8, {32}), 1u);
    ASSERT_EQ(*send_numbers(tx, 9, {100}), 1u);
    ASSERT_EQ(*send_numbers(tx, 10, std::vector<std::size_t>(30, 200)), 30u);
    EXPECT_EQ(tx.stats().invalid, bad);
    EXPECT_EQ(tx.stats().posted, 2u);
    EXPECT_TRUE(check(8, at(v1.offset), 32));
    EXPECT_TRUE(check(9, at(v5.offset), 100));
    // The filled entries carry the posts' tokens with the posted bit.
    const std::uint64_t fwd = tx.offset() + g.fwd_offset;
    const std::uint64_t e8 = word1_at(fwd, c.slots, 8), e9 = word1_at(fwd, c.slots, 9);
    EXPECT_EQ(static_cast<std::uint16_t>(e8 >> 32), detail::kPostedTokenBit | 1);
    EXPECT_EQ(static_cast<std::uint32_t>(e8), 32u);
    EXPECT_EQ(static_cast<std::uint16_t>(e9 >> 32), detail::kPostedTokenBit | 3);
    EXPECT_EQ(static_cast<std::uint32_t>(e9), 100u);
    for (std::size_t k = 0; k < watched.size(); ++k)
        EXPECT_EQ(bytes(watched[k].offset, watched[k].length), before[k])
            << "region " << k << " at " << watched[k].offset << " was written";
}

TEST_F(HostilePosts, ForgedFillsNeverShowAnotherBufferOrAnOversizedLengthAndLoseNone) {
    ChannelConfig c = zero_copy_config(16, 8, 256);
    c.posted = 4;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const auto g = detail::config_geometry(c);
    ASSERT_TRUE(g.ok);
    const std::uint64_t fwd = tx.offset() + g.fwd_offset, ret = tx.offset() + g.ret_offset;
    const Message p0 = own_buffer(128, 0xc0), p1 = own_buffer(128, 0xc1);
    const Message two[] = {p0, p1};
    ASSERT_EQ(*rx.post(two), 2u);
    // The posts as the layout says: the range, our tag (kEntryPost set), the
    // token, the return ring's own marker.
    const std::uint16_t tag = detail::post_tag(word64(&header(tx)->consumer).load());
    EXPECT_NE(tag & detail::kEntryPost, 0);
    std::uint16_t t[2];
    for (std::uint64_t pos = 0; pos < 2; ++pos) {
        const std::uint64_t w0 = word64(at(ret + pos * 16)).load(), w1 = word1_at(ret, g.ret_slots, pos);
        EXPECT_EQ(w0 & detail::kOffsetMask, two[pos].offset);
        EXPECT_EQ(w0 >> 48, tag);
        EXPECT_EQ(static_cast<std::uint32_t>(w1), 128u);
        EXPECT_EQ(static_cast<std::uint16_t>(w1 >> 48), detail::marker_for(pos, g.ret_shift));
        t[pos] = static_cast<std::uint16_t>(w1 >> 32);
        EXPECT_LT(t[pos], c.posted);
    }
    ASSERT_NE(t[0], t[1]);
    std::uint16_t never = 0;
    while (never == t[0] || never == t[1]) ++never;

    // Messages 0 and 1 into the posts, 2..5 into the pool.
    ASSERT_EQ(*send_numbers(tx, 0, {16, 17, 18, 19, 20, 21}), 6u);
    ASSERT_EQ(tx.stats().posted, 2u);
    EXPECT_EQ(static_cast<std::uint16_t>(word1_at(fwd, c.slots, 0) >> 32), detail::kPostedTokenBit | t[0]);
    EXPECT_EQ(static_cast<std::uint16_t>(word1_at(fwd, c.slots, 1) >> 32), detail::kPostedTokenBit | t[1]);
    // A hostile producer rewrites entries 0..4 before the consumer looks:
    // 0: post t0, longer than its buffer (the message is dropped, the
    //    buffer kept for re-posting);
    // 1: post t1 at a forged offset in the producer's arena (ignored: the
    //    consumer shows its own buffer);
    // 2: a post never lent, pointing at p0;
    // 3: post t1 again, after it has come back;
    // 4: a token == `posted`; 5 stays the pool's message 5.
    const std::uint16_t kp = detail::kPostedTokenBit;
    forge(fwd, c.slots, g.shift, 0, 0, p0.offset, 129, kp | t[0]);
    forge(fwd, c.slots, g.shift, 1, 0, arena_->offset() + 64, 17, kp | t[1]);
    forge(fwd, c.slots, g.shift, 2, 0, p0.offset, 18, kp | never);
    forge(fwd, c.slots, g.shift, 3, 0, p1.offset, 19, kp | t[1]);
    forge(fwd, c.slots, g.shift, 4, 0, p1.offset, 20, static_cast<std::uint16_t>(kp | c.posted));

    std::vector<Message> in(8);
    auto got = rx.peek(std::span(in).subspan(0, 1));
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(in[0].origin, kMessagePosted);
    EXPECT_EQ(in[0].cookie, 0xc1u);
    EXPECT_EQ(in[0].data, p1.data);
    EXPECT_EQ(in[0].offset, p1.offset);
    EXPECT_EQ(in[0].length, 17u);
    EXPECT_TRUE(check(1, static_cast<const std::byte*>(in[0].data), 17));
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(rx.stats().invalid, 1u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{0xc0}));  // p0 is not lost

    got = rx.peek(in);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(in[0].origin, kMessageLent);
    EXPECT_EQ(in[0].length, 21u);
    EXPECT_TRUE(check(5, static_cast<const std::byte*>(in[0].data), 21));
    ASSERT_TRUE(rx.consume(std::span(in).subspan(0, 1)));
    EXPECT_EQ(rx.stats().invalid, 4u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{0xc0}));

    // The next post() lends p0 again with p2; both come back filled, each
    // at its own address and with its message's length.
    const Message p2 = own_buffer(128, 0xc2);
    ASSERT_EQ(*rx.post(std::span(&p2, 1)), 1u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{0xc0, 0xc2}));
    ASSERT_EQ(*send_numbers(tx, 6, {22, 23}), 2u);
    EXPECT_EQ(tx.stats().posted, 4u);
    got = rx.peek(in);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 2u);
    std::multiset<std::uint64_t> cookies;
    for (std::uint32_t k = 0; k < 2; ++k) {
        EXPECT_EQ(in[k].origin, kMessagePosted);
        cookies.insert(in[k].cookie);
        EXPECT_EQ(in[k].data, in[k].cookie == 0xc0 ? p0.data : p2.data);
        EXPECT_EQ(in[k].length, 22u + k);
        EXPECT_TRUE(check(6 + k, static_cast<const std::byte*>(in[k].data), 22 + k));
    }
    EXPECT_EQ(cookies, (std::multiset<std::uint64_t>{0xc0, 0xc2}));
    ASSERT_TRUE(rx.consume());
    EXPECT_TRUE(lent_cookies(rx).empty());
    EXPECT_EQ(rx.stats().invalid, 4u);
    EXPECT_EQ(tx.stats().invalid, 0u);
}

// Random words written anywhere in a posting channel's memory while it
// streams: whatever the rings say, the consumer shows only its own buffers
// (never longer than lent) or ranges in the producer's arena, and the
// producer never writes the superblock, its own arena's other bytes or the
// consumer's buffers that are not lent.
TEST_F(HostilePosts, RandomScribblesWhileStreamingPostsNeverEscape) {
    ChannelConfig c = zero_copy_config(32, 16, 256);
    c.posted = 16;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::vector<Message> bufs;
    for (int i = 0; i < 16; ++i) bufs.push_back(own_buffer(256, 0xd00 + i));
    const Message kept = own_buffer(4096, 0);  // never lent
    auto own = arena_->alloc(4096);            // the producer's, never sent
    ASSERT_TRUE(own);
    std::memset(at(kept.offset), 0xee, 4096);
    std::memset(at(*own), 0xee, 4096);
    const auto superblock = bytes(0, 256), kept_before = bytes(kept.offset, 4096), own_before = bytes(*own, 4096);

    // The scribbles start once the stream runs (a scribbled head or index
    // may stall it for good: that is the hostile peer's loss, not a fault).
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> shown{0};
    std::thread hostile([&] {
        while (!stop.load() && shown.load() < 64) std::this_thread::yield();
        scribble_words(at(tx.offset()), channel_memory_size(c), 7, stop);
    });
    std::thread producer = send_until(tx, stop, true);
    const std::byte* lo = rx_area_->data() + arena_->offset();
    const std::byte* hi = lo + arena_->size();
    int bad = 0;
    std::vector<Message> in(16), listed(64);
    const auto start = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> until;  // set when the scribbles start
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (!until && shown.load() >= 64) until = now + std::chrono::milliseconds(1500);
        if (until ? now >= *until : now - start > std::chrono::seconds(10)) break;
        // Lend whatever is ours (not listed by lent()).
        const std::uint32_t nl = rx.lent(listed);
        std::set<std::uint64_t> out;
        for (std::uint32_t k = 0; k < nl; ++k) out.insert(listed[k].cookie);
        std::vector<Message> mine;
        for (const Message& b : bufs)
            if (!out.count(b.cookie)) mine.push_back(b);
        if (!mine.empty()) (void)rx.post(mine);
        auto n = rx.peek(in);
        if (!n) continue;
        std::vector<Message> back;
        for (std::uint32_t k = 0; k < *n; ++k) {
            const Message& m = in[k];
            ++shown;
            const auto* p = static_cast<const std::byte*>(m.data);
            if (m.origin == kMessagePosted) {
                auto it = std::find_if(bufs.begin(), bufs.end(), [&](const Message& b) { return b.cookie == m.cookie; });
                if (it == bufs.end() || m.data != it->data || m.length > it->length) ++bad;
            } else if (m.origin == kMessageLent) {
                if (p < lo || p + m.length > hi) ++bad;
                back.push_back(m);
            } else {
                ++bad;  // no inline slots on this channel
            }
        }
        (void)rx.consume(back);
    }
    stop = true;
    hostile.join();
    producer.join();
    EXPECT_EQ(bad, 0);
    EXPECT_TRUE(until.has_value()) << "the stream never ran: " << shown.load() << " messages";
    EXPECT_EQ(bytes(0, 256), superblock);
    EXPECT_EQ(bytes(kept.offset, 4096), kept_before);
    EXPECT_EQ(bytes(*own, 4096), own_before);
}

}  // namespace
}  // namespace memdomain::test
