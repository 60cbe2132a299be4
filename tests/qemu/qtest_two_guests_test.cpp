// Two paused QEMUs on one domain, each driven through qtest as its guest, and
// a raw host peer: ids, shared memory and doorbells in every direction.
//
// Doorbells land in guest RAM: IvshmemGuest points MSI-X vector v of each
// device at a RAM word and gives it the data value vector_data(v), so a
// delivered interrupt is that value appearing in that word.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <thread>

#include "host_peer.h"
#include "memdomain/common/sizes.h"
#include "qemu_guest.h"
#include "server_fixture.h"
#include "server_with_host_peer.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5000ms;
constexpr char kDomain[] = "TwoGuests";

class QtestTwoGuests : public ServerWithHostPeer {
protected:
    void SetUp() override {
        MD_SKIP_WITHOUT_QEMU();
        ASSERT_NO_FATAL_FAILURE(start_server(domain_config(kDomain, "1MB", 2), kDomain));
        // One at a time, so each join the host sees belongs to a known guest.
        ASSERT_NO_FATAL_FAILURE(start_guest("a", a_, id_a_));
        ASSERT_NO_FATAL_FAILURE(start_guest("b", b_, id_b_));
    }

    void start_guest(const std::string& name, std::unique_ptr<QemuGuest>& g, std::int64_t& id) {
        QemuGuestOptions o;
        o.work_dir = dir_.path();
        o.name = name;
        o.args = doorbell_args(server_->socket(kDomain), 2);
        auto r = QemuGuest::start(o);
        ASSERT_TRUE(r) << r.error().message;
        g = std::move(r).value();
        auto joined = host_->wait_join(kWait);
        ASSERT_TRUE(joined) << joined.error().message << "\nQEMU log:\n" << g->log();
        id = *joined;
    }

    // QEMU takes the server's messages one per main-loop turn, after the
    // device is realized, so right after a join is announced a guest may not
    // hold the other peer's eventfd yet, and ivshmem drops a doorbell for a
    // peer it does not know without any error. So ring until it arrives.
    template <class Ring, class Arrived>
    ::testing::AssertionResult ring_until(Ring ring, Arrived arrived) {
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        do {
            if (auto st = ring(); !st) return ::testing::AssertionFailure() << "ring: " << st.error().message;
            auto got = arrived();
            if (!got) return ::testing::AssertionFailure() << "check: " << got.error().message;
            if (*got) return ::testing::AssertionSuccess();
        } while (std::chrono::steady_clock::now() < deadline);
        return ::testing::AssertionFailure() << "doorbell not delivered within " << kWait.count() << " ms";
    }

    TempDir dir_;
    std::unique_ptr<QemuGuest> a_, b_;
    std::int64_t id_a_ = -1, id_b_ = -1;
};

TEST_F(QtestTwoGuests, IVPositionsAreDistinctAndMatchServerIds) {
    auto pos_a = a_->device().iv_position();
    auto pos_b = b_->device().iv_position();
    ASSERT_TRUE(pos_a) << pos_a.error().message;
    ASSERT_TRUE(pos_b) << pos_b.error().message;
    EXPECT_EQ(static_cast<std::int64_t>(*pos_a), id_a_);
    EXPECT_EQ(static_cast<std::int64_t>(*pos_b), id_b_);
    EXPECT_NE(*pos_a, *pos_b);
    EXPECT_NE(static_cast<std::int64_t>(*pos_a), host_->id());
}

TEST_F(QtestTwoGuests, Bar2StartsWithSegmentMagicAndDomainName) {
    for (QemuGuest* g : {a_.get(), b_.get()}) {
        auto magic = g->qtest().readq(g->device().bar2());
        ASSERT_TRUE(magic) << magic.error().message;
        std::uint64_t expected;
        std::memcpy(&expected, kSegmentMagic, 8);  // little-endian, like the guest
        EXPECT_EQ(*magic, expected);
        auto name = g->qtest().read(g->device().bar2() + offsetof(SegmentHeader, domain_name), 64);
        ASSERT_TRUE(name) << name.error().message;
        EXPECT_STREQ(reinterpret_cast<const char*>(name->data()), kDomain);
    }
}

TEST_F(QtestTwoGuests, WriteThroughOneGuestIsSeenByOtherGuestAndHost) {
    const std::uint64_t off = host_->header().data_offset + 256;
    const std::uint64_t value = 0x600d'cafe'0000'0000ull | static_cast<std::uint64_t>(::getpid());
    ASSERT_TRUE(a_->qtest().writeq(a_->device().bar2() + off, value));
    auto seen_b = b_->qtest().readq(b_->device().bar2() + off);
    ASSERT_TRUE(seen_b) << seen_b.error().message;
    EXPECT_EQ(*seen_b, value);
    std::uint64_t seen_host;
    std::memcpy(&seen_host, host_->memory() + off, 8);
    EXPECT_EQ(seen_host, value);
}

TEST_F(QtestTwoGuests, HostWriteIsSeenByBothGuests) {
    const std::uint64_t off = host_->header().data_offset + 4096;
    const char text[] = "written by the host peer";
    std::memcpy(host_->memory() + off, text, sizeof text);
    for (QemuGuest* g : {a_.get(), b_.get()}) {
        auto r = g->qtest().b64read(g->device().bar2() + off, sizeof text);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_STREQ(reinterpret_cast<const char*>(r->data()), text);
    }
}

TEST_F(QtestTwoGuests, GuestDoorbellReachesOtherGuestsVectorAndNotTheOther) {
    auto& da = a_->device();
    auto& db = b_->device();
    for (unsigned v : {0u, 1u}) {
        SCOPED_TRACE("vector " + std::to_string(v));
        ASSERT_TRUE(db.clear_vector_word(0));
        ASSERT_TRUE(db.clear_vector_word(1));
        ASSERT_TRUE(ring_until([&] { return da.ring(static_cast<std::uint32_t>(id_b_), v); },
                               [&] { return db.wait_vector(v, 20ms); }));
        // A stray delivery on the other vector would be as quick as this one.
        std::this_thread::sleep_for(50ms);
        auto other = db.vector_word(1 - v);
        ASSERT_TRUE(other) << other.error().message;
        EXPECT_EQ(*other, 0u);
    }
}

TEST_F(QtestTwoGuests, HostDoorbellReachesGuestVector) {
    auto& da = a_->device();
    for (unsigned v : {0u, 1u}) {
        SCOPED_TRACE("vector " + std::to_string(v));
        ASSERT_TRUE(da.clear_vector_word(0));
        ASSERT_TRUE(da.clear_vector_word(1));
        // An eventfd keeps its count until QEMU reads it: one ring is enough.
        ASSERT_TRUE(host_->ring(id_a_, v));
        auto got = da.wait_vector(v, kWait);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_TRUE(*got);
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(*da.vector_word(1 - v), 0u);
    }
}

TEST_F(QtestTwoGuests, GuestDoorbellReachesHostEventfd) {
    auto& db = b_->device();
    for (unsigned v : {0u, 1u}) {
        SCOPED_TRACE("vector " + std::to_string(v));
        ASSERT_TRUE(ring_until([&] { return db.ring(static_cast<std::uint32_t>(host_->id()), v); },
                               [&] { return host_->wait_doorbell(v, 20ms); }));
        std::this_thread::sleep_for(50ms);
        auto other = host_->wait_doorbell(1 - v, 0ms);
        ASSERT_TRUE(other) << other.error().message;
        EXPECT_FALSE(*other);
    }
}

}  // namespace
}  // namespace memdomain::test
