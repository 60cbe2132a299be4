// Posted buffers on zero-copy channels (ChannelConfig::posted): the
// consumer lends buffers of its own arena, send_copy() puts a message too
// big for an inline slot into the oldest one when it fits (else a pool
// buffer), and they come back filled through peek(), in order, with their
// cookies. Refusals of
// post(), recv()/recv_copy() while buffers are lent, and a new consumer
// never getting the old one's posts. Forged posts and fills:
// channel_posted_hostile_test.cpp.
#include <algorithm>
#include <deque>
#include <set>
#include <thread>

#include "posted_fixture.h"

namespace memdomain::test {
namespace {

// Peeks what was just sent (numbered first.. with these lengths), checks
// every payload, consumes it (giving pool buffers back) and returns it.
std::vector<Message> take(ChannelConsumer& rx, std::uint64_t first, const std::vector<std::size_t>& lengths) {
    std::vector<Message> in(lengths.size() + 4);
    auto got = rx.peek(in);
    EXPECT_TRUE(got) << got.error().message;
    if (!got) return {};
    EXPECT_EQ(*got, lengths.size());
    in.resize(std::min<std::size_t>(*got, lengths.size()));
    std::vector<Message> back;
    for (std::size_t k = 0; k < in.size(); ++k) {
        EXPECT_EQ(in[k].length, lengths[k]) << "message " << first + k;
        if (in[k].length == lengths[k]) {
            EXPECT_TRUE(check(first + k, static_cast<const std::byte*>(in[k].data), lengths[k])) << "message " << first + k;
        }
        if (in[k].origin == kMessageLent) back.push_back(in[k]);
    }
    auto st = rx.consume(back);
    EXPECT_TRUE(st) << st.error().message;
    return in;
}

std::vector<std::uint16_t> origins(const std::vector<Message>& m) {
    std::vector<std::uint16_t> o;
    for (const Message& x : m) o.push_back(x.origin);
    return o;
}

// A channel whose only buffers are the consumer's posts: every message
// lands in the oldest one, which comes back through peek() with its cookie
// while the consumer keeps lending what it got back.
TEST_F(PostedChannels, PostedBuffersComeBackFilledInOrderWithTheirCookies) {
    constexpr std::uint32_t kLent = 16;
    constexpr std::uint32_t kCapacity = 2048;
    const ChannelConfig c = posted_config(16, kLent);  // no pool, no inline slots: posts only
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::vector<Message> bufs;
    for (std::uint32_t i = 0; i < kLent; ++i) bufs.push_back(own_buffer(kCapacity, 0xb0f0000 + i));
    std::deque<std::uint32_t> lent_order;  // indices into bufs, oldest post first
    std::vector<std::uint32_t> mine;       // ours, to post next
    for (std::uint32_t i = 0; i < kLent; ++i) mine.push_back(i);
    std::uint64_t posted = 0;
    auto post_mine = [&] {
        if (mine.empty()) return true;
        std::vector<Message> m;
        for (std::uint32_t b : mine) m.push_back(bufs[b]);
        auto n = rx.post(m);
        if (!n) {
            ADD_FAILURE() << "post: " << n.error().message;
            return false;
        }
        for (std::uint32_t k = 0; k < *n; ++k) lent_order.push_back(mine[k]);
        mine.erase(mine.begin(), mine.begin() + *n);
        posted += *n;
        return true;
    };
    auto length = [](std::uint64_t i) -> std::size_t { return 1 + i * 389 % kCapacity; };  // 1..2048
    // Checks the messages in[0..got) numbered from *expect and hands their
    // buffers back to `mine` once consumed.
    int wrong_origin = 0, out_of_order = 0, wrong = 0;
    auto check_posted = [&](const std::vector<Message>& in, std::uint32_t got, std::uint64_t& expect) {
        std::vector<std::uint32_t> back;
        for (std::uint32_t k = 0; k < got; ++k, ++expect) {
            const Message& m = in[k];
            if (m.origin != kMessagePosted) ++wrong_origin;
            if (!lent_order.empty() && m.cookie == bufs[lent_order.front()].cookie) {
                const std::uint32_t b = lent_order.front();
                lent_order.pop_front();
                if (m.data != bufs[b].data || m.offset != bufs[b].offset) ++wrong;
                back.push_back(b);
            } else {
                ++out_of_order;
                auto it = std::find_if(lent_order.begin(), lent_order.end(),
                                       [&](std::uint32_t b) { return bufs[b].cookie == m.cookie; });
                if (it != lent_order.end()) {
                    back.push_back(*it);
                    lent_order.erase(it);
                }
            }
            if (m.length != length(expect) || !check(expect, static_cast<const std::byte*>(m.data), m.length)) ++wrong;
        }
        return back;
    };

    constexpr std::uint64_t kCount = 20000;
    std::atomic<bool> failed{false};
    ASSERT_TRUE(post_mine());
    std::thread producer = send_numbered(tx, kCount, 5, length, failed);
    std::uint64_t expect = 0;
    std::vector<Message> in(8);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    while (expect < kCount && !failed.load() && std::chrono::steady_clock::now() < deadline) {
        if (!post_mine()) {
            failed = true;
            break;
        }
        auto got = rx.peek(in);
        if (!got) {
            ADD_FAILURE() << "peek: " << got.error().message;
            failed = true;
            break;
        }
        if (*got == 0) {
            idle();
            continue;
        }
        std::vector<std::uint32_t> back = check_posted(in, *got, expect);
        auto st = rx.consume();
        if (!st) {
            ADD_FAILURE() << "consume: " << st.error().message;
            failed = true;
            break;
        }
        mine.insert(mine.end(), back.begin(), back.end());  // ours again: lend them anew
    }
    failed = failed.load() || expect < kCount;  // stops the producer on a timeout
    producer.join();
    ASSERT_EQ(expect, kCount);
    EXPECT_EQ(wrong_origin, 0);
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(tx.stats().messages, kCount);
    EXPECT_EQ(tx.stats().posted, kCount);
    EXPECT_EQ(rx.stats().messages, kCount);
    EXPECT_EQ(rx.stats().posted, posted);
    EXPECT_EQ(tx.stats().invalid, 0u);
    EXPECT_EQ(rx.stats().invalid, 0u);

    // Nothing is lost: every buffer is ours or listed by lent(), with its
    // range as we lent it.
    ASSERT_TRUE(post_mine());
    EXPECT_EQ(lent_order.size() + mine.size(), kLent);
    std::vector<Message> listed(2 * kLent);
    ASSERT_EQ(rx.lent(listed), lent_order.size());
    for (std::uint32_t k = 0; k < lent_order.size(); ++k) {
        auto it = std::find_if(bufs.begin(), bufs.end(), [&](const Message& b) { return b.cookie == listed[k].cookie; });
        ASSERT_NE(it, bufs.end()) << "lent() lists a cookie never posted: " << listed[k].cookie;
        EXPECT_EQ(listed[k].offset, it->offset);
        EXPECT_EQ(listed[k].length, kCapacity);
    }
    // The producer fills what is still lent, and then has nowhere to put a
    // message: every buffer is back, lent() is empty.
    const auto left = static_cast<std::uint32_t>(lent_order.size());
    std::vector<std::size_t> lens;
    for (std::uint32_t k = 0; k < left; ++k) lens.push_back(length(kCount + k));
    auto sent = send_numbers(tx, kCount, lens);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, left);
    std::uint64_t more = kCount;
    in.resize(2 * kLent);
    auto got = rx.peek(in);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, left);
    (void)check_posted(in, *got, more);
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(wrong_origin + out_of_order + wrong, 0);
    EXPECT_EQ(lent_count(rx), 0u);
    EXPECT_TRUE(lent_order.empty());
    auto none = send_numbers(tx, kCount + left, {8});
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_EQ(*none, 0u);  // no post, no pool, no slot
    EXPECT_EQ(tx.stats().posted, kCount + left);
}

TEST_F(PostedChannels, SendCopyUsesThePoolWhenNothingIsPostedOrTheOldestPostIsTooSmall) {
    ChannelProducer tx = make(posted_config(16, 4, 4, 512));  // no inline slots
    ChannelConsumer rx = open();
    using O = std::vector<std::uint16_t>;

    // Nothing posted: the pool.
    ASSERT_EQ(*send_numbers(tx, 0, {300}), 1u);
    EXPECT_EQ(origins(take(rx, 0, {300})), (O{kMessageLent}));

    const Message a = own_buffer(256, 0xa);
    ASSERT_EQ(*rx.post(std::span(&a, 1)), 1u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{0xa}));
    ASSERT_EQ(*send_numbers(tx, 1, {32}), 1u);
    auto got = take(rx, 1, {32});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].origin, kMessagePosted);
    EXPECT_EQ(got[0].cookie, 0xau);
    EXPECT_EQ(got[0].data, a.data);
    EXPECT_EQ(got[0].offset, a.offset);
    EXPECT_EQ(lent_count(rx), 0u);

    // The oldest post (128 bytes) is too small for 300: the pool takes it,
    // and the post waits for the next message; then the next post; then,
    // with none left, the pool again.
    const Message b = own_buffer(128, 0xb), cc = own_buffer(1024, 0xc);
    const Message two[] = {b, cc};
    ASSERT_EQ(*rx.post(two), 2u);
    ASSERT_EQ(*send_numbers(tx, 2, {300, 40, 100, 50}), 4u);
    got = take(rx, 2, {300, 40, 100, 50});
    EXPECT_EQ(origins(got), (O{kMessageLent, kMessagePosted, kMessagePosted, kMessageLent}));
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[1].cookie, 0xbu);
    EXPECT_EQ(got[1].data, b.data);
    EXPECT_EQ(got[2].cookie, 0xcu);
    EXPECT_EQ(got[2].data, cc.data);
    EXPECT_EQ(lent_count(rx), 0u);

    // A message bigger than a pool buffer goes into a post it fits, and
    // waits (0 sent, no error) while the oldest post cannot hold it.
    const Message e = own_buffer(1024, 0xe);
    ASSERT_EQ(*rx.post(std::span(&e, 1)), 1u);
    auto big = send_numbers(tx, 6, {700});
    ASSERT_TRUE(big) << big.error().message;
    ASSERT_EQ(*big, 1u);
    got = take(rx, 6, {700});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].origin, kMessagePosted);
    EXPECT_EQ(got[0].cookie, 0xeu);
    const Message f = own_buffer(64, 0xf);
    ASSERT_EQ(*rx.post(std::span(&f, 1)), 1u);
    big = send_numbers(tx, 7, {700});
    ASSERT_TRUE(big) << big.error().message;
    EXPECT_EQ(*big, 0u);
    ASSERT_EQ(*send_numbers(tx, 7, {60}), 1u);
    got = take(rx, 7, {60});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].origin, kMessagePosted);
    EXPECT_EQ(got[0].cookie, 0xfu);

    EXPECT_EQ(lent_count(rx), 0u);
    EXPECT_EQ(tx.stats().posted, 5u);
    EXPECT_EQ(rx.stats().posted, 5u);
    EXPECT_EQ(tx.stats().messages, 8u);
    EXPECT_EQ(rx.stats().messages, 8u);
    EXPECT_EQ(tx.stats().invalid, 0u);
    EXPECT_EQ(rx.stats().invalid, 0u);
}

// channel.h: "into its entry's slot when it fits, else the oldest buffer the
// consumer posted when it fits, else a pool buffer".
TEST_F(PostedChannels, TheInlineSlotComesFirstThenTheOldestPostThenThePool) {
    ChannelConfig c = posted_config(16, 4, 4, 512);
    c.inline_payload = 64;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    using O = std::vector<std::uint16_t>;

    // Nothing posted: the slot for what fits it, the pool for the rest.
    ASSERT_EQ(*send_numbers(tx, 0, {32, 300}), 2u);
    auto got = take(rx, 0, {32, 300});
    EXPECT_EQ(origins(got), (O{kMessageInSlot, kMessageLent}));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].cookie, kChannelInlineCookie);

    // A message that fits the slot takes it, even with a post lent; the
    // next one, too big for a slot, takes the post.
    const Message a = own_buffer(256, 0xa);
    ASSERT_EQ(*rx.post(std::span(&a, 1)), 1u);
    ASSERT_EQ(*send_numbers(tx, 2, {32, 100}), 2u);
    got = take(rx, 2, {32, 100});
    EXPECT_EQ(origins(got), (O{kMessageInSlot, kMessagePosted}));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].cookie, 0xau);
    EXPECT_EQ(got[1].data, a.data);
    EXPECT_EQ(lent_count(rx), 0u);

    // 300 is too big for the slot and the oldest post (128): the pool; the
    // post then takes 100, the slot 40, the next post 200.
    const Message b = own_buffer(128, 0xb), cc = own_buffer(1024, 0xc);
    const Message two[] = {b, cc};
    ASSERT_EQ(*rx.post(two), 2u);
    ASSERT_EQ(*send_numbers(tx, 4, {300, 100, 40, 200}), 4u);
    got = take(rx, 4, {300, 100, 40, 200});
    EXPECT_EQ(origins(got), (O{kMessageLent, kMessagePosted, kMessageInSlot, kMessagePosted}));
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[1].cookie, 0xbu);
    EXPECT_EQ(got[1].data, b.data);
    EXPECT_EQ(got[3].cookie, 0xcu);
    EXPECT_EQ(got[3].data, cc.data);
    EXPECT_EQ(lent_count(rx), 0u);
    EXPECT_EQ(tx.stats().posted, 3u);
    EXPECT_EQ(rx.stats().posted, 3u);
    EXPECT_EQ(rx.stats().invalid, 0u);
}

TEST_F(PostedChannels, PostRefusesChannelsWithoutPostingAndRangesThatAreNotOurs) {
    const Message mine = own_buffer(256, 1);
    {
        ChannelProducer tx = make(zero_copy_config(8, 4), "plain");
        ChannelConsumer rx = open("plain");
        EXPECT_EQ(rx.post(std::span(&mine, 1)).error().sys, EPERM);
        ChannelProducer ctx = make(copy_config(8, 64), "copy");
        ChannelConsumer crx = open("copy");
        EXPECT_EQ(crx.post(std::span(&mine, 1)).error().sys, EPERM);
    }
    // Posting is for zero-copy channels, at most `slots` buffers.
    ChannelConfig bad = copy_config(8, 64);
    bad.posted = 4;
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);
    bad = posted_config(8, 9);
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);

    ChannelProducer tx = make(posted_config(8, 4, 4));
    ChannelConsumer rx = open();
    ASSERT_EQ(*rx.post(std::span(&mine, 1)), 1u);
    const DataAreaInfo& info = rx_area_->info();
    const std::uint64_t arenas_end = info.arena_offset + std::uint64_t{info.arena_slots} * info.arena_slot_size;
    const std::uint64_t producer_end = arena_->offset() + arena_->size();
    auto range = [&](std::uint64_t off, std::uint32_t len) {
        Message m;
        m.offset = off;
        m.data = rx_area_->at(off, 1);
        m.length = len;
        m.cookie = 99;
        return m;
    };
    const Message bads[] = {
        range(arena_->offset() + 4096, 256),  // inside the producer's arena
        range(tx.offset(), 512),              // the channel itself
        range(producer_end - 64, 128),        // across the producer's arena's end
        range(0, 256),                        // the superblock: outside the arenas
        range(arenas_end - 64, 128),          // across the end of the arenas
        range(~std::uint64_t{0} - 63, 128),   // wrapping around
        range(mine.offset + 512, 0),          // empty
    };
    const Message good = own_buffer(256, 2);
    for (const Message& m : bads) {
        auto r = rx.post(std::span(&m, 1));
        ASSERT_FALSE(r) << "offset " << m.offset << " length " << m.length;
        EXPECT_EQ(r.error().sys, EINVAL) << r.error().message;
        // Nothing is posted, not even good buffers before the bad one.
        const Message pair[] = {good, m};
        r = rx.post(pair);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().sys, EINVAL);
        EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{1}));
    }
    EXPECT_EQ(rx.stats().posted, 1u);

    // At most `posted` (4) lent at once: a short count, then 0.
    std::vector<Message> more;
    for (int i = 0; i < 5; ++i) more.push_back(own_buffer(256, 10 + i));
    auto n = rx.post(more);
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_EQ(*n, 3u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{1, 10, 11, 12}));
    EXPECT_EQ(*rx.post(std::span(more).subspan(3)), 0u);
    EXPECT_EQ(rx.stats().posted, 4u);
    EXPECT_EQ(*rx.post(std::span<const Message>()), 0u);
    // One comes back filled: room for one more.
    ASSERT_EQ(*send_numbers(tx, 0, {20}), 1u);
    auto got = take(rx, 0, {20});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].cookie, 1u);
    EXPECT_EQ(*rx.post(std::span(more).subspan(3)), 1u);
    EXPECT_EQ(lent_cookies(rx), (std::multiset<std::uint64_t>{10, 11, 12, 13}));
}

TEST_F(PostedChannels, RecvAndRecvCopyAreRefusedWhileBuffersAreLent) {
    ChannelProducer tx = make(posted_config(8, 2, 4, 256));  // no inline slots: recv() works otherwise
    ChannelConsumer rx = open();
    std::vector<Message> in(4);
    std::byte b[256];
    std::uint32_t lens[4];
    std::vector<std::span<std::byte>> into(4, std::span<std::byte>(b));
    // Nothing lent: both work.
    ASSERT_EQ(*send_numbers(tx, 0, {20}), 1u);
    auto got = rx.recv(in);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(in[0].origin, kMessageLent);
    EXPECT_TRUE(check(0, static_cast<const std::byte*>(in[0].data), 20));
    ASSERT_TRUE(rx.release(std::span(in).subspan(0, 1)));
    ASSERT_EQ(*send_numbers(tx, 1, {30}), 1u);
    ASSERT_EQ(*rx.recv_copy(into, lens), 1u);
    EXPECT_TRUE(check(1, b, 30));

    const Message p = own_buffer(256, 0x9);
    ASSERT_EQ(*rx.post(std::span(&p, 1)), 1u);
    EXPECT_EQ(rx.recv(in).error().sys, EPERM);
    EXPECT_EQ(rx.recv(in, {}).error().sys, EPERM);
    EXPECT_EQ(rx.recv_copy(into, lens).error().sys, EPERM);
    // Also with the filled post waiting: it is only for peek().
    ASSERT_EQ(*send_numbers(tx, 2, {40}), 1u);
    EXPECT_EQ(rx.recv(in).error().sys, EPERM);
    EXPECT_EQ(rx.recv_copy(into, lens).error().sys, EPERM);
    got = rx.peek(in);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(in[0].origin, kMessagePosted);
    EXPECT_EQ(in[0].data, p.data);
    EXPECT_TRUE(check(2, static_cast<const std::byte*>(in[0].data), 40));
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(lent_count(rx), 0u);

    // Back to nothing lent: both work again.
    ASSERT_EQ(*send_numbers(tx, 3, {50, 60}), 2u);
    got = rx.recv(std::span(in).subspan(0, 1));
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 1u);
    EXPECT_TRUE(check(3, static_cast<const std::byte*>(in[0].data), 50));
    ASSERT_TRUE(rx.release(std::span(in).subspan(0, 1)));
    got = rx.recv_copy(into, lens);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(*got, 1u);
    EXPECT_EQ(lens[0], 60u);
    EXPECT_TRUE(check(4, b, 60));
}

// A consumer lends four buffers and goes away after one was filled; the
// next consumer must never see (or have written) the other three.
class PostedTurnover : public PostedChannels {
protected:
    // The old consumer's buffers from `from` on still hold `fill`.
    static bool untouched(const std::vector<Message>& old, std::byte fill, std::size_t from = 1) {
        for (std::size_t k = from; k < old.size(); ++k) {
            const auto* p = static_cast<const std::byte*>(old[k].data);
            for (std::uint32_t i = 0; i < old[k].length; ++i)
                if (p[i] != fill) return false;
        }
        return true;
    }
    // The new consumer `rx` (on `area`, lending from `arena`) after the old
    // one (its buffers `old`) is gone; message 0 went into old[0].
    void next_consumer_gets_none_of_the_old_posts(ChannelProducer& tx, ChannelConsumer& rx, Arena& arena,
                                                  const std::vector<Message>& old) {
        constexpr std::byte kFill{0x5a};
        // Three messages with nothing posted by us: the pool, not the old posts.
        ASSERT_EQ(*send_numbers(tx, 1, {16, 17, 18}), 3u);
        EXPECT_EQ(tx.stats().posted, 1u);
        EXPECT_TRUE(untouched(old, kFill));
        // The old consumer's filled entry is no message of ours: dropped.
        std::vector<Message> in(8);
        auto got = rx.peek(in);
        ASSERT_TRUE(got) << got.error().message;
        ASSERT_EQ(*got, 3u);
        for (std::uint32_t k = 0; k < 3; ++k) {
            EXPECT_EQ(in[k].origin, kMessageLent);
            EXPECT_EQ(in[k].length, 16 + k);
            EXPECT_TRUE(check(1 + k, static_cast<const std::byte*>(in[k].data), 16 + k));
        }
        ASSERT_TRUE(rx.consume(std::span(in).subspan(0, 3)));
        EXPECT_EQ(rx.stats().invalid, 1u);
        // Our own posts: ours are filled, in order, and never the old ones.
        const Message mine[] = {own_buffer(arena, 256, 0xb0), own_buffer(arena, 256, 0xb1)};
        ASSERT_EQ(*rx.post(mine), 2u);
        ASSERT_EQ(*send_numbers(tx, 4, {20, 21, 22}), 3u);
        auto taken = take(rx, 4, {20, 21, 22});
        ASSERT_EQ(taken.size(), 3u);
        EXPECT_EQ(origins(taken), (std::vector<std::uint16_t>{kMessagePosted, kMessagePosted, kMessageLent}));
        EXPECT_EQ(taken[0].cookie, 0xb0u);
        EXPECT_EQ(taken[0].data, mine[0].data);
        EXPECT_EQ(taken[1].cookie, 0xb1u);
        EXPECT_EQ(taken[1].data, mine[1].data);
        EXPECT_EQ(lent_count(rx), 0u);
        EXPECT_TRUE(untouched(old, kFill));
        EXPECT_EQ(tx.stats().posted, 3u);
        EXPECT_EQ(tx.stats().invalid, 0u);
    }
    // The old consumer: lends four buffers (filled with `fill`), gets message
    // 0 written into the first, and detaches without reading it.
    std::vector<Message> lend_and_leave(ChannelProducer& tx, std::optional<ChannelConsumer>& rx, Arena& arena) {
        std::vector<Message> old;
        for (int i = 0; i < 4; ++i) {
            old.push_back(own_buffer(arena, 256, 0xa0 + i));
            std::memset(old.back().data, 0x5a, 256);
        }
        EXPECT_EQ(*rx->post(old), 4u);
        EXPECT_EQ(*send_numbers(tx, 0, {16}), 1u);
        EXPECT_EQ(tx.stats().posted, 1u);  // the producer has taken the posts in
        EXPECT_TRUE(check(0, static_cast<const std::byte*>(old[0].data), 16));
        rx.reset();
        EXPECT_FALSE(tx.consumer_alive());
        return old;
    }
};

TEST_F(PostedTurnover, ANewConsumerOnAnotherPeerNeverGetsTheOldOnesPosts) {
    ChannelProducer tx = make(posted_config(8, 4, 8, 256));
    Domain& first = peer();
    DataArea first_area = attach(first);
    Arena first_arena = claim(first_area);
    std::optional<ChannelConsumer> old_rx;
    auto o = ChannelConsumer::open(first_area, "link");
    ASSERT_TRUE(o) << o.error().message;
    old_rx.emplace(std::move(o).value());
    const std::vector<Message> old = lend_and_leave(tx, old_rx, first_arena);
    ASSERT_FALSE(HasFailure());
    ChannelConsumer rx = open();
    next_consumer_gets_none_of_the_old_posts(tx, rx, *rx_arena_, old);
}

TEST_F(PostedTurnover, AConsumerReopenedByTheSameAttachmentNeverGetsItsOldPosts) {
    ChannelProducer tx = make(posted_config(8, 4, 8, 256));
    std::optional<ChannelConsumer> old_rx(open());
    const std::vector<Message> old = lend_and_leave(tx, old_rx, *rx_arena_);
    ASSERT_FALSE(HasFailure());
    ChannelConsumer rx = open();
    next_consumer_gets_none_of_the_old_posts(tx, rx, *rx_arena_, old);
}

// The old consumer leaves before the producer has read its posts: they are
// still on the return ring when the next consumer attaches, and must be
// neither filled nor get in the way of the new consumer's own entries.
TEST_F(PostedTurnover, PostsALeavingConsumerLeftOnTheRingAreNeverTakenForTheNextOnes) {
    constexpr std::byte kFill{0x5a};
    ChannelProducer tx = make(posted_config(8, 4, 8, 256));
    Domain& first = peer();
    DataArea first_area = attach(first);
    Arena first_arena = claim(first_area);
    std::vector<Message> old;
    {
        auto o = ChannelConsumer::open(first_area, "link");
        ASSERT_TRUE(o) << o.error().message;
        for (int i = 0; i < 4; ++i) {
            old.push_back(own_buffer(first_arena, 256, 0xa0 + i));
            std::memset(old.back().data, 0x5a, 256);
        }
        ASSERT_EQ(*o->post(old), 4u);
    }
    ChannelConsumer rx = open();
    ASSERT_EQ(*send_numbers(tx, 0, {16, 17, 18}), 3u);
    EXPECT_EQ(tx.stats().posted, 0u);
    EXPECT_TRUE(untouched(old, kFill, 0));
    auto got = take(rx, 0, {16, 17, 18});
    EXPECT_EQ(origins(got), (std::vector<std::uint16_t>{kMessageLent, kMessageLent, kMessageLent}));
    // Our posts, and the pool buffers we gave back, reach the producer.
    const Message mine[] = {own_buffer(256, 0xb0), own_buffer(256, 0xb1)};
    ASSERT_EQ(*rx.post(mine), 2u);
    ASSERT_EQ(*send_numbers(tx, 3, {20, 21, 22}), 3u);
    got = take(rx, 3, {20, 21, 22});
    EXPECT_EQ(origins(got), (std::vector<std::uint16_t>{kMessagePosted, kMessagePosted, kMessageLent}));
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].cookie, 0xb0u);
    EXPECT_EQ(got[1].cookie, 0xb1u);
    EXPECT_EQ(lent_count(rx), 0u);
    EXPECT_TRUE(untouched(old, kFill, 0));
    EXPECT_EQ(tx.stats().posted, 2u);
    std::vector<Message> all(8);
    std::uint32_t taken = 0;
    EXPECT_TRUE(eventually([&] {
        auto n = tx.alloc(std::span(all).subspan(taken));
        if (n) taken += *n;
        return taken == 8;
    })) << taken << " of 8 pool buffers came back";
}

}  // namespace
}  // namespace memdomain::test
