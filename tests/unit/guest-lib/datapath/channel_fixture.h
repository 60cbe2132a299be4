// What the channel unit tests share: a producer attachment with an arena,
// a consumer attachment, and numbered payloads that say whether they
// arrived intact.
#pragma once

#include <cstring>
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "channel_layout.h"
#include "datapath_fixture.h"
#include "memdomain/arena.h"
#include "memdomain/channel.h"
#include "shared_word.h"

namespace memdomain::test {

// Message i: its number in the first 8 bytes, then bytes derived from it.
inline std::vector<std::byte> payload(std::uint64_t i, std::size_t len) {
    std::vector<std::byte> b(len);
    for (std::size_t k = 0; k < len; ++k) b[k] = std::byte(static_cast<unsigned char>(i * 31 + k * 7));
    if (len >= 8) std::memcpy(b.data(), &i, 8);
    return b;
}
inline bool check(std::uint64_t i, const std::byte* p, std::size_t len) {
    auto want = payload(i, len);
    return std::memcmp(want.data(), p, len) == 0;
}
inline std::size_t length_of(std::uint64_t i) { return 8 + (i * 37) % 200; }

class Channels : public DatapathTest {
protected:
    void SetUp() override {
        DatapathTest::SetUp();
        tx_area_.emplace(attach(peer()));
        rx_area_.emplace(attach(peer()));
        auto a = Arena::claim(*tx_area_, 8 * kTestSlot);
        ASSERT_TRUE(a) << a.error().message;
        arena_.emplace(std::move(a).value());
    }
    ChannelProducer make(const ChannelConfig& c, const std::string& name = "link") {
        auto p = ChannelProducer::create(*tx_area_, *arena_, name, c);
        EXPECT_TRUE(p) << p.error().message;
        if (!p) std::abort();
        return std::move(p).value();
    }
    ChannelConsumer open(const std::string& name = "link") {
        auto c = ChannelConsumer::open(*rx_area_, name);
        EXPECT_TRUE(c) << c.error().message;
        if (!c) std::abort();
        return std::move(c).value();
    }
    static ChannelConfig copy_config(std::uint32_t slots, std::uint32_t payload) {
        ChannelConfig c;
        c.slots = slots;
        c.slot_payload = payload;
        return c;
    }
    static ChannelConfig zero_copy_config(std::uint32_t slots, std::uint32_t pool, std::uint32_t buffer_size = 128) {
        ChannelConfig c;
        c.mode = ChannelMode::ZeroCopy;
        c.slots = slots;
        c.pool_buffers = pool;
        c.pool_buffer_size = buffer_size;
        return c;
    }
    std::byte* at(std::uint64_t off) { return tx_area_->data() + off; }
    detail::ChannelHeader* header(const ChannelProducer& p) {
        return reinterpret_cast<detail::ChannelHeader*>(at(p.offset()));
    }

    std::optional<DataArea> tx_area_, rx_area_;
    std::optional<Arena> arena_;
};

// The busy loops below give the core away when they made no progress: two
// spinning threads on one core (ctest -j2 on two cores, a sanitizer build)
// would otherwise hand the ring over once per scheduler tick.
inline void idle() { std::this_thread::yield(); }

// A producer thread sending numbered messages 0..n-1 (length length(i)) by
// send_copy in batches of `batch`, busy; sets `failed` on an error. It stops
// when `failed` is set, so a consumer that gives up sets it before join().
template <class Length>
std::thread send_numbered(ChannelProducer& tx, std::uint64_t n, std::uint64_t batch, Length length,
                          std::atomic<bool>& failed) {
    return std::thread([&tx, n, batch, length, &failed] {
        std::uint64_t next = 0;
        while (next < n && !failed.load()) {
            std::vector<std::vector<std::byte>> msgs;
            for (std::uint64_t k = 0; k < batch && next + k < n; ++k) msgs.push_back(payload(next + k, length(next + k)));
            std::vector<std::span<const std::byte>> spans(msgs.begin(), msgs.end());
            auto sent = tx.send_copy(spans);
            if (!sent) {
                failed = true;
                return;
            }
            if (*sent == 0) idle();
            next += *sent;
        }
    });
}

// A producer thread sending batches of eight 100-byte messages until
// `stop`, taking returns after each batch when `reclaim`; errors are
// expected (a hostile peer provokes them) and ignored.
inline std::thread send_until(ChannelProducer& tx, const std::atomic<bool>& stop, bool reclaim) {
    return std::thread([&tx, &stop, reclaim] {
        std::byte b[100]{};
        std::vector<std::span<const std::byte>> msgs(8, std::span<const std::byte>(b));
        std::vector<Message> back(16);
        while (!stop.load()) {
            auto sent = tx.send_copy(msgs);
            if (reclaim) (void)tx.reclaim(back);
            if (!sent || *sent == 0) idle();
        }
    });
}

// Streams n messages of varying length through send_copy/recv_copy in two
// threads (busy polling); returns the number of errors (order, length,
// payload, a failed call, or no progress for 10 s).
inline int stream_copy(ChannelProducer& tx, ChannelConsumer& rx, std::uint64_t n, int batch) {
    std::atomic<bool> failed{false};
    std::thread producer([&] {
        std::uint64_t next = 0;
        std::vector<std::vector<std::byte>> msgs;
        while (next < n && !failed.load()) {
            msgs.clear();
            for (int k = 0; k < batch && next + k < n; ++k) msgs.push_back(payload(next + k, length_of(next + k)));
            std::vector<std::span<const std::byte>> spans(msgs.begin(), msgs.end());
            auto sent = tx.send_copy(spans);
            if (!sent) {
                ADD_FAILURE() << sent.error().message;
                failed = true;
                return;
            }
            if (*sent == 0) idle();
            next += *sent;
        }
    });
    int errors = 0;
    std::uint64_t expect = 0;
    std::vector<std::vector<std::byte>> bufs(batch, std::vector<std::byte>(512));
    std::vector<std::span<std::byte>> into(bufs.begin(), bufs.end());
    std::vector<std::uint32_t> lens(batch);
    auto last_progress = std::chrono::steady_clock::now();
    while (expect < n && !failed.load()) {
        auto got = rx.recv_copy(into, lens);
        if (!got) {
            ADD_FAILURE() << got.error().message;
            ++errors;
            failed = true;
            break;
        }
        if (*got > 0) {
            last_progress = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(10)) {
            ADD_FAILURE() << "no message for 10 s after " << expect;
            ++errors;
            failed = true;
            break;
        } else {
            idle();
        }
        for (std::uint32_t k = 0; k < *got; ++k, ++expect)
            if (lens[k] != length_of(expect) || !check(expect, bufs[k].data(), lens[k])) ++errors;
    }
    producer.join();
    return errors + (failed.load() ? 1 : 0);
}

// A hostile peer: random words (a third of them small, as indices and
// lengths would be) written anywhere in [mem, mem + bytes) until `stop`,
// often enough to hit every word many times, seldom enough that the ends
// make progress between hits.
inline void scribble_words(std::byte* mem, std::uint64_t bytes, std::uint64_t seed, const std::atomic<bool>& stop) {
    std::mt19937_64 rng(seed);
    auto* words = reinterpret_cast<std::uint64_t*>(mem);
    while (!stop.load()) {
        detail::word64(&words[rng() % (bytes / 8)]).store(rng() % 3 == 0 ? rng() % 64 : rng());
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
}

}  // namespace memdomain::test
