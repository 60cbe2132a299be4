// The sleep/wake handshake: a reader that announced it sleeps is always
// rung (raced many thousands of times), an event loop can sleep on the
// doorbell fd, a full producer sleeps until the consumer makes room, and a
// reader that never sleeps costs the writer no doorbells.
#include <poll.h>

#include <random>
#include <thread>

#include "channel_fixture.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

class ChannelWaits : public Channels {};

void spin_ns(std::mt19937& rng, int max_ns) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(rng() % (max_ns + 1));
    while (std::chrono::steady_clock::now() < until) {
    }
}

// Ping and pong over two channels, every wait a doorbell sleep with a
// deadline: a lost wake-up shows as a wait that times out.
TEST_F(ChannelWaits, SleepRacedAgainstSendNeverLosesAWakeUp) {
    constexpr int kRounds = 20000;
    auto rx_arena = Arena::claim(*rx_area_, 2 * kTestSlot);
    ASSERT_TRUE(rx_arena);
    ChannelConfig c = copy_config(8, 64);
    c.consumer_vector = 1;  // each end sleeps on its own vector
    c.producer_vector = 0;
    ChannelProducer ping_tx = make(c, "ping");
    auto pong_tx = ChannelProducer::create(*rx_area_, *rx_arena, "pong", c);
    ASSERT_TRUE(pong_tx) << pong_tx.error().message;
    ChannelConsumer ping_rx = open("ping");
    auto pong_rx = ChannelConsumer::open(*tx_area_, "pong");
    ASSERT_TRUE(pong_rx);
    std::atomic<int> lost{0}, wrong{0};
    auto dump = [&](std::uint64_t off) {
        auto* h = reinterpret_cast<detail::ChannelHeader*>(tx_area_->data() + off);
        std::string s = "head " + std::to_string(detail::word64(&h->fwd_head).load()) + " tail " +
                        std::to_string(detail::word64(&h->fwd_tail).load()) + " csleep " +
                        std::to_string(detail::word32(&h->consumer_sleeping).load()) + " markers";
        for (int k = 0; k < 8; ++k)
            s += " " + std::to_string(detail::word64(tx_area_->data() + off + 512 + 128 * k + 8).load() >> 48);
        return s;
    };
    auto side = [&](ChannelProducer& tx, ChannelConsumer& rx, bool starts, unsigned seed) {
        std::mt19937 rng(seed);
        std::byte buf[64];
        std::uint32_t len;
        std::span<std::byte> into[1] = {std::span<std::byte>(buf)};
        for (std::uint64_t i = 0; i < kRounds; ++i) {
            if (starts) {
                spin_ns(rng, 3000);
                const std::span<const std::byte> m[1] = {std::span<const std::byte>(reinterpret_cast<std::byte*>(&i), 8)};
                if (*tx.send_copy(m) != 1) ++wrong;
            }
            auto ready = rx.wait_readable(milliseconds(2000));
            if (!ready || !*ready) {
                ++lost;
                ADD_FAILURE() << (starts ? "ping" : "pong") << " round " << i << ": "
                              << (ready ? "timed out" : ready.error().message) << "; sleeps " << rx.stats().sleeps
                              << ", our writer's wakeups " << tx.stats().wakeups << " | in: "
                              << dump(rx.config().memory_offset) << " | out: " << dump(tx.offset());
                return;
            }
            if (*rx.recv_copy(into, std::span(&len, 1)) != 1 || std::memcmp(buf, &i, 8) != 0) ++wrong;
            if (!starts) {
                spin_ns(rng, 3000);
                const std::span<const std::byte> m[1] = {std::span<const std::byte>(reinterpret_cast<std::byte*>(&i), 8)};
                if (*tx.send_copy(m) != 1) ++wrong;
            }
        }
    };
    std::thread a([&] { side(ping_tx, *pong_rx, true, 1); });
    std::thread b([&] { side(*pong_tx, ping_rx, false, 2); });
    a.join();
    b.join();
    EXPECT_EQ(lost.load(), 0);
    EXPECT_EQ(wrong.load(), 0);
    // Both outcomes of the race happened: readers that slept (and were rung)
    // and readers that found the message when they looked again.
    const auto slept = ping_rx.stats().sleeps + pong_rx->stats().sleeps;
    const auto rung = ping_tx.stats().wakeups + pong_tx->stats().wakeups;
    EXPECT_GT(slept, 100u);
    EXPECT_LT(slept, 2u * kRounds);
    EXPECT_GT(rung, 100u);
}

TEST_F(ChannelWaits, AnEventLoopArmsSleepsOnTheFdAndIsRung) {
    const ChannelConfig c = copy_config(4, 64);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    const int fd = rx.doorbell_fd();
    ASSERT_GE(fd, 0);
    auto armed = rx.arm();
    ASSERT_TRUE(armed);
    EXPECT_TRUE(*armed);  // empty: sleep
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    std::byte b[8]{};
    std::thread later([&] {
        std::this_thread::sleep_for(milliseconds(50));
        (void)tx.send_copy(std::vector<std::span<const std::byte>>{std::span<const std::byte>(b)});
    });
    EXPECT_EQ(::poll(&p, 1, 5000), 1);
    later.join();
    rx.disarm();
    EXPECT_EQ(::poll(&p, 1, 0), 0);  // drained
    EXPECT_EQ(tx.stats().wakeups, 1u);
    auto again = rx.arm();
    EXPECT_FALSE(*again);  // a message is waiting: do not sleep
    rx.disarm();
}

TEST_F(ChannelWaits, AFullProducerSleepsUntilTheConsumerMakesRoom) {
    const ChannelConfig c = copy_config(4, 64);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    std::byte b[8]{};
    std::vector<std::span<const std::byte>> four(4, std::span<const std::byte>(b));
    ASSERT_EQ(*tx.send_copy(four), 4u);
    EXPECT_FALSE(*tx.wait_writable(milliseconds(30)));
    std::thread consumer([&] {
        std::this_thread::sleep_for(milliseconds(50));
        std::byte in[64];
        std::uint32_t len;
        std::span<std::byte> into[1] = {std::span<std::byte>(in)};
        (void)rx.recv_copy(into, std::span(&len, 1));
    });
    auto r = tx.wait_writable(milliseconds(5000));
    consumer.join();
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
    EXPECT_EQ(*tx.send_copy(four), 1u);
    EXPECT_GE(tx.stats().sleeps, 1u);
    EXPECT_EQ(rx.stats().wakeups, 1u);
}

TEST_F(ChannelWaits, AReaderThatNeverSleepsCostsTheWriterNoDoorbell) {
    const ChannelConfig c = copy_config(64, 256);
    ChannelProducer tx = make(c);
    ChannelConsumer rx = open();
    EXPECT_EQ(stream_copy(tx, rx, 20000, 8), 0);
    EXPECT_EQ(tx.stats().wakeups, 0u);
    EXPECT_EQ(rx.stats().wakeups, 0u);
}

}  // namespace
}  // namespace memdomain::test
