// Channels between two attachments of this process (producer and consumer
// threads): ordering, no loss, no duplication, wrap-around, full and empty,
// copy and zero-copy with buffer return, consumer turnover and recovery,
// the sleep/wake handshake, and hostile indices and entries. Between two
// processes: tests/integration/datapath.
#include <poll.h>

#include <random>
#include <thread>

#include "channel_fixture.h"
#include "memdomain/directory.h"

namespace memdomain::test {
namespace {

TEST_F(Channels, CopyModeDeliversInOrderWithoutLossAcrossManyWrapArounds) {
    const ChannelConfig c = copy_config(8, 256);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    EXPECT_EQ(stream_copy(tx, rx, 100000, 5), 0);
    EXPECT_EQ(tx.stats().messages, 100000u);
    EXPECT_EQ(rx.stats().messages, 100000u);
    EXPECT_EQ(rx.stats().invalid, 0u);
}

TEST_F(Channels, PeekShowsPayloadsInTheirSlotsAndConsumeFreesThemInOrder) {
    const ChannelConfig c = copy_config(8, 256);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::atomic<bool> failed{false};
    constexpr std::uint64_t kCount = 100000;
    std::thread producer = send_numbered(tx, kCount, 5, [](std::uint64_t i) { return length_of(i); }, failed);
    std::uint64_t expect = 0, peeks = 0;
    int wrong = 0;
    std::vector<Message> in(6);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (expect < kCount && !failed.load() && std::chrono::steady_clock::now() < deadline) {
        auto got = rx.peek(in);
        if (!got) {
            ADD_FAILURE() << got.error().message;
            break;
        }
        if (*got == 0) {
            idle();
            continue;
        }
        std::vector<void*> first;
        for (std::uint32_t k = 0; k < *got; ++k) first.push_back(in[k].data);
        // A second look shows at least the same messages, in the same slots.
        auto again = rx.peek(in);
        if (!again || *again < *got) {
            ADD_FAILURE() << "a second peek showed fewer messages, or failed";
            break;
        }
        for (std::uint32_t k = 0; k < *got; ++k)
            if (in[k].data != first[k]) ++wrong;
        const std::byte* lo = rx_area_->data() + tx.offset();
        for (std::uint32_t k = 0; k < *again; ++k, ++expect) {
            const auto* p = static_cast<const std::byte*>(in[k].data);
            if (p < lo || p + in[k].length > lo + channel_memory_size(c)) ++wrong;  // inside the channel
            if (in[k].length != length_of(expect) || !check(expect, p, in[k].length)) ++wrong;
        }
        if (!rx.consume()) {
            ADD_FAILURE() << "consume() failed";
            break;
        }
        ++peeks;
    }
    // Stops the producer after a timeout or a failure here (all received
    // means all sent, and it has stopped by itself).
    const bool send_failed = failed.exchange(true);
    producer.join();
    EXPECT_FALSE(send_failed);
    EXPECT_EQ(expect, kCount);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(rx.stats().messages, kCount);
    EXPECT_GT(peeks, 0u);
}

TEST_F(Channels, ConsumeWithoutAPeekIsEinvalAndCopyChannelsHaveNothingToGiveBack) {
    ChannelProducer tx = make(copy_config(4, 64));
    ChannelConsumer rx = open();
    EXPECT_EQ(rx.consume().error().sys, EINVAL);
    std::byte b[16]{};
    std::vector<std::span<const std::byte>> two(2, std::span<const std::byte>(b));
    ASSERT_EQ(*tx.send_copy(two), 2u);
    std::vector<Message> in(4);
    ASSERT_EQ(*rx.peek(in), 2u);
    // recv_copy after a peek takes the messages itself; the peek is stale.
    std::byte out[16];
    std::uint32_t len;
    std::vector<std::span<std::byte>> into(1, std::span<std::byte>(out));
    ASSERT_EQ(*rx.recv_copy(into, std::span(&len, 1)), 1u);
    EXPECT_EQ(rx.consume().error().sys, EINVAL);
    ASSERT_EQ(*rx.peek(in), 1u);
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(rx.consume().error().sys, EINVAL);  // once
    EXPECT_EQ(tx.unread(), 0u);
    EXPECT_EQ(rx.stats().messages, 2u);

    ASSERT_EQ(*tx.send_copy(two), 2u);
    ASSERT_EQ(*rx.peek(in), 2u);
    EXPECT_EQ(in[0].cookie, kChannelInlineCookie);
    EXPECT_EQ(rx.consume(std::span(in).subspan(0, 1)).error().sys, EPERM);  // and nothing is consumed
    EXPECT_EQ(tx.unread(), 2u);
    ASSERT_TRUE(rx.consume());
    EXPECT_EQ(tx.unread(), 0u);
}

// Zero-copy with inline slots: small messages travel in their entry's slot
// (no pool buffer, no return), bigger ones in pool buffers; the consumer
// peeks both, copies what it wants, and gives the pool buffers back with
// consume(). Every pool buffer comes home; recv() refuses such a channel.
TEST_F(Channels, ZeroCopyInlineSlotsCarrySmallMessagesAndPoolBuffersTheRest) {
    ChannelConfig c = zero_copy_config(16, 8, 512);
    c.inline_payload = 128;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::vector<Message> in(16);
    EXPECT_EQ(rx.recv(in).error().sys, EPERM);
    std::atomic<bool> failed{false};
    constexpr std::uint64_t kCount = 50000;
    // 1..400 bytes: both kinds.
    std::thread producer = send_numbered(tx, kCount, 6, [](std::uint64_t i) { return 1 + i * 37 % 400; }, failed);
    std::uint64_t expect = 0, inline_seen = 0, pooled_seen = 0;
    int wrong = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (expect < kCount && !failed.load() && std::chrono::steady_clock::now() < deadline) {
        auto got = rx.peek(in);
        if (!got) {
            ADD_FAILURE() << got.error().message;
            break;
        }
        if (*got == 0) idle();
        std::vector<Message> back;
        for (std::uint32_t k = 0; k < *got; ++k, ++expect) {
            const std::uint32_t want = 1 + expect * 37 % 400;
            if (in[k].length != want || !check(expect, static_cast<const std::byte*>(in[k].data), want)) ++wrong;
            if (in[k].cookie == kChannelInlineCookie) {
                ++inline_seen;
                if (want > 128) ++wrong;
            } else {
                ++pooled_seen;
                if (want <= 128) ++wrong;
                back.push_back(in[k]);
            }
        }
        if (!rx.consume(back)) {
            ADD_FAILURE() << "consume() failed";
            break;
        }
    }
    // Stops the producer after a timeout or a failure here (all received
    // means all sent, and it has stopped by itself).
    const bool send_failed = failed.exchange(true);
    producer.join();
    EXPECT_FALSE(send_failed);
    EXPECT_EQ(expect, kCount);
    EXPECT_EQ(wrong, 0);
    EXPECT_GT(inline_seen, 0u);
    EXPECT_GT(pooled_seen, 0u);
    EXPECT_EQ(rx.stats().returned, pooled_seen);
    // Every pool buffer can be taken again once the last returns are in.
    std::vector<Message> all(8);
    std::uint32_t taken = 0;
    ASSERT_TRUE(eventually([&] {
        auto n = tx.alloc(std::span(all).subspan(taken));
        if (n) taken += *n;
        return taken == 8;
    }));
}

TEST_F(Channels, ZeroCopyCopyPathUsesThePoolAndReturnsEveryBuffer) {
    const ChannelConfig c = zero_copy_config(16, 24, 256);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    EXPECT_EQ(stream_copy(tx, rx, 50000, 7), 0);
    EXPECT_EQ(rx.stats().returned, 50000u);
    EXPECT_EQ(tx.outstanding(), 0u);  // pool buffers of send_copy are the library's own
    // Every pool buffer can be taken again once the last returns are in.
    std::vector<Message> all(24);
    std::uint32_t got = 0;
    ASSERT_TRUE(eventually([&] {
        auto n = tx.alloc(std::span(all).subspan(got));
        if (n) got += *n;
        return got == 24;
    }));
}

TEST_F(Channels, ZeroCopyMessagesArriveInPlaceAndComeBackWithTheirCookies) {
    ChannelConfig c;
    c.slots = 8;
    c.mode = ChannelMode::ZeroCopy;
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    // The application's own buffers, anywhere in the producer's arena.
    std::vector<Message> out;
    for (int i = 0; i < 8; ++i) {
        auto off = arena_->alloc(128);
        ASSERT_TRUE(off);
        Message m;
        m.offset = *off;
        m.data = at(*off);
        m.length = 100 + i;
        m.flags = static_cast<std::uint16_t>(0x100 + i);
        m.cookie = 0xc00c1e00 + i;
        auto p = payload(i, m.length);
        std::memcpy(m.data, p.data(), m.length);
        out.push_back(m);
    }
    EXPECT_EQ(tx.outstanding(), 0u);
    ASSERT_EQ(*tx.send(out), 8u);
    EXPECT_EQ(tx.outstanding(), 8u);
    Message extra = out[0];
    EXPECT_EQ(*tx.send(std::span(&extra, 1)), 0u);  // 8 in flight: full
    std::vector<Message> in(8);
    ASSERT_EQ(*rx.recv(in), 8u);
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(in[i].offset, out[i].offset);
        EXPECT_EQ(in[i].length, out[i].length);
        EXPECT_EQ(in[i].flags, out[i].flags);
        EXPECT_EQ(static_cast<std::byte*>(in[i].data), rx_area_->data() + out[i].offset);
        EXPECT_TRUE(check(i, static_cast<std::byte*>(in[i].data), in[i].length));
    }
    // Consumed but not released: the ring has room, yet nothing may be sent
    // (all 8 tokens are still out).
    EXPECT_EQ(*tx.send(std::span(&extra, 1)), 0u);
    ASSERT_TRUE(rx.release(std::span(in).subspan(0, 5)));
    EXPECT_EQ(tx.outstanding(), 8u);  // back on the return ring, not reclaimed
    std::vector<Message> back(8);
    ASSERT_EQ(*tx.reclaim(back), 5u);
    EXPECT_EQ(tx.outstanding(), 3u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(back[i].cookie, 0xc00c1e00u + i);
        EXPECT_EQ(back[i].offset, out[i].offset);
        EXPECT_EQ(back[i].flags, out[i].flags);
    }
    ASSERT_TRUE(rx.release(std::span(in).subspan(5)));
    ASSERT_EQ(*tx.reclaim(back), 3u);
    EXPECT_EQ(tx.stats().returned, 8u);
    EXPECT_EQ(tx.outstanding(), 0u);
}

TEST_F(Channels, FullAndEmptyAreZeroNotErrors) {
    const ChannelConfig c = copy_config(4, 64);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::byte b[64]{};
    std::vector<std::uint32_t> lens(8);
    std::vector<std::span<std::byte>> into(8, std::span<std::byte>(b));
    EXPECT_EQ(*rx.recv_copy(into, lens), 0u);
    std::vector<std::span<const std::byte>> msgs(6, std::span<const std::byte>(b, 10));
    EXPECT_EQ(*tx.send_copy(msgs), 4u);
    EXPECT_EQ(tx.unread(), 4u);
    EXPECT_EQ(*tx.send_copy(msgs), 0u);
    EXPECT_EQ(*rx.recv_copy(std::span(into).subspan(0, 3), lens), 3u);
    EXPECT_EQ(*tx.send_copy(msgs), 3u);
    EXPECT_EQ(*rx.recv_copy(into, lens), 4u);
    EXPECT_EQ(*rx.recv_copy(into, lens), 0u);
    EXPECT_EQ(tx.unread(), 0u);
}

TEST_F(Channels, RefusalsSayWhatIsWrong) {
    const ChannelConfig c = copy_config(4, 64);
    ChannelProducer tx = make(c);
    std::byte big[65]{};
    EXPECT_EQ(tx.send_copy(std::vector<std::span<const std::byte>>{std::span<const std::byte>(big)}).error().sys,
              EMSGSIZE);
    EXPECT_EQ(tx.send(std::vector<Message>(1)).error().sys, EPERM);
    ChannelConfig z;
    z.mode = ChannelMode::ZeroCopy;
    z.slots = 4;
    ChannelProducer zt = make(z, "zc");
    Message outside;
    outside.offset = 0;  // the superblock: not the producer's arena
    outside.length = 16;
    EXPECT_EQ(zt.send(std::span(&outside, 1)).error().sys, EINVAL);
    EXPECT_EQ(zt.send_copy(std::vector<std::span<const std::byte>>{std::span<const std::byte>(big, 1)}).error().sys,
              ENOBUFS);
    ChannelConfig bad;
    bad.slots = 6;
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);
    bad.slots = 8;
    bad.consumer_vector = 2;  // the domain has 2 vectors: 0 and 1
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);
    bad.consumer_vector = 0;
    bad.memory_offset = arena_->offset() + 8;  // misaligned
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);
    bad.memory_offset = 4096;  // outside the arena
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "bad", bad).error().sys, EINVAL);
    bad.memory_offset = 0;
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "link", bad).error().sys, EEXIST);
    bad.slot_payload = 65536;
    bad.slots = 1024;  // 64 MiB of rings: more than the arena
    EXPECT_EQ(ChannelProducer::create(*tx_area_, *arena_, "huge", bad).error().sys, ENOMEM);
    EXPECT_EQ(ChannelConsumer::open(*rx_area_, "nothing").error().sys, ENOENT);
    ASSERT_TRUE(Directory(*tx_area_).publish("not-a-channel", arena_->offset(), 4096, 1));
    EXPECT_EQ(ChannelConsumer::open(*rx_area_, "not-a-channel").error().sys, EPROTO);
}

TEST_F(Channels, ChannelsBuiltInPlaceUseTheGivenMemory) {
    ChannelConfig c = zero_copy_config(32, 8, 128);
    const std::uint64_t rings = channel_memory_size(c);
    auto mem = arena_->alloc(rings);
    auto pool = arena_->alloc(8 * 128);
    ASSERT_TRUE(mem && pool);
    c.memory_offset = *mem;
    c.pool_offset = *pool;
    ChannelProducer tx = make(c);
    EXPECT_EQ(tx.offset(), *mem);
    EXPECT_EQ(Directory(*rx_area_).lookup("link")->size, rings);
    std::vector<Message> m(8);
    ASSERT_EQ(*tx.alloc(m), 8u);
    for (const Message& x : m) {
        EXPECT_GE(x.offset, *pool);
        EXPECT_LT(x.offset, *pool + 8 * 128);
    }
}

TEST_F(Channels, OneConsumerAtATimeAndANewOneContinuesWhereTheLastStopped) {
    const ChannelConfig c = copy_config(8, 64);
    ChannelProducer tx = make(c);
    std::byte b[64]{};
    std::vector<std::uint32_t> lens(8);
    std::vector<std::span<std::byte>> into(8, std::span<std::byte>(b));
    {
        ChannelConsumer rx = open();
        EXPECT_EQ(ChannelConsumer::open(*rx_area_, "link").error().sys, EBUSY);
        EXPECT_TRUE(tx.consumer_alive());
        auto p = payload(0, 16), q = payload(1, 16);
        std::vector<std::span<const std::byte>> msgs{p, q};
        ASSERT_EQ(*tx.send_copy(msgs), 2u);
        ASSERT_EQ(*rx.recv_copy(std::span(into).subspan(0, 1), lens), 1u);
    }
    EXPECT_FALSE(tx.consumer_alive());
    ChannelConsumer rx = open();
    ASSERT_EQ(*rx.recv_copy(into, lens), 1u);
    EXPECT_TRUE(check(1, b, 16));
}

TEST_F(Channels, ADeadConsumersBuffersAreRecoveredAndTheEndReopens) {
    const ChannelConfig c = zero_copy_config(8, 8, 64);
    ChannelProducer tx = make(c);
    Domain& victim = peer();
    DataArea va = attach(victim);
    {
        auto rx = ChannelConsumer::open(va, "link");
        ASSERT_TRUE(rx);
        std::vector<Message> m(6);
        ASSERT_EQ(*tx.alloc(m), 6u);
        for (auto& x : m) x.length = 8;
        ASSERT_EQ(*tx.send(m), 6u);
        std::vector<Message> in(4);
        ASSERT_EQ(*rx->recv(in), 4u);
        ASSERT_TRUE(rx->release(std::span(in).subspan(0, 1)));
        // It dies holding 3 and with 2 unread: no destructor runs.
        die_holding(std::move(rx).value());
    }
    EXPECT_EQ(ChannelConsumer::open(*rx_area_, "link").error().sys, EBUSY);
    EXPECT_EQ(tx.recover().error().sys, EBUSY);  // still attached
    drop(victim, *tx_area_);
    EXPECT_FALSE(tx.consumer_alive());
    auto n = tx.recover();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 5u);  // 3 held + 2 unread; the released one came back normally
    EXPECT_EQ(tx.outstanding(), 6u);  // all back, waiting for reclaim
    std::vector<Message> back(8);
    EXPECT_EQ(*tx.reclaim(back), 6u);
    EXPECT_EQ(tx.outstanding(), 0u);
    ASSERT_TRUE(tx.free(std::span(back).subspan(0, 6)));
    ChannelConsumer rx = open();
    std::vector<Message> m(8);
    ASSERT_EQ(*tx.alloc(m), 8u);
    ASSERT_EQ(*tx.send(m), 8u);
    std::vector<Message> in(8);
    EXPECT_EQ(*rx.recv(in), 8u);
}

TEST_F(Channels, AClosedProducerIsSeenAndItsNameGoes) {
    ChannelConfig c;
    c.slots = 4;
    auto tx = std::make_optional(make(c));
    ChannelConsumer rx = open();
    EXPECT_TRUE(rx.producer_alive());
    tx.reset();
    EXPECT_FALSE(rx.producer_alive());
    EXPECT_EQ(Directory(*rx_area_).lookup("link").error().sys, ENOENT);
    EXPECT_EQ(arena_->bytes_allocated(), 0u);
}

}  // namespace
}  // namespace memdomain::test
