// DataArea::attach against a real memdomaind: the first peer formats, the
// others check; foreign bytes, hostile superblocks, a dead or a live
// formatter, read-only peers.
#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <thread>

#include "area_layout.h"
#include "datapath_fixture.h"
#include "shared_word.h"

namespace memdomain::test {
namespace {

using detail::AreaSuperblock;

class DataAreaAttach : public DatapathTest {
protected:
    AreaSuperblock* superblock(Domain& d) { return static_cast<AreaSuperblock*>(d.data()); }
};

TEST_F(DataAreaAttach, FirstPeerFormatsAndTheOthersFindTheSameGeometry) {
    Domain& a = peer();
    Domain& b = peer();
    DataArea aa = attach(a);
    EXPECT_TRUE(aa.info().formatted_here);
    DataAreaOptions other;  // different wishes: the formatter's choice wins
    other.arena_slot_size = 128 * 1024;
    other.directory_slots = 9;
    DataArea bb = attach(b, other);
    EXPECT_FALSE(bb.info().formatted_here);
    EXPECT_EQ(bb.info().arena_slot_size, kTestSlot);
    EXPECT_EQ(bb.info().directory_slots, aa.info().directory_slots);
    EXPECT_EQ(bb.info().arena_offset, aa.info().arena_offset);
    EXPECT_EQ(bb.info().arena_slots, aa.info().arena_slots);
    EXPECT_EQ(aa.self().id, a.self());
    EXPECT_NE(aa.self().epoch, 0u);
    EXPECT_NE(aa.self(), bb.self());
    EXPECT_TRUE(bb.is_live(aa.self()));
}

TEST_F(DataAreaAttach, ConcurrentFirstAttachesFormatExactlyOnce) {
    std::vector<Domain*> ds;
    for (int i = 0; i < 4; ++i) ds.push_back(&peer());
    std::vector<int> formatted(4);
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&, i] {
            auto a = DataArea::attach(*ds[i], small_slots());
            formatted[i] = a ? (a->info().formatted_here ? 1 : 0) : -1;
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(std::count(formatted.begin(), formatted.end(), 1), 1);
    EXPECT_EQ(std::count(formatted.begin(), formatted.end(), 0), 3);
}

TEST_F(DataAreaAttach, ForeignBytesAreRefusedUnlessFormatForeignIsSet) {
    Domain& a = peer();
    std::memcpy(a.data(), "MMDPING1", 8);  // what memdomain-ping leaves at offset 0
    auto refused = DataArea::attach(a, small_slots());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().sys, EBADMSG) << refused.error().message;
    EXPECT_EQ(std::memcmp(a.data(), "MMDPING1", 8), 0);  // untouched
    DataAreaOptions o = small_slots();
    o.format_foreign = true;
    auto a2 = DataArea::attach(a, o);
    ASSERT_TRUE(a2) << a2.error().message;
    EXPECT_TRUE(a2->info().formatted_here);
}

TEST_F(DataAreaAttach, AValidLayoutIsNeverReformattedEvenWithFormatForeign) {
    Domain& a = peer();
    DataArea aa = attach(a);
    DataAreaOptions o = small_slots();
    o.format_foreign = true;
    auto again = DataArea::attach(peer(), o);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->info().formatted_here);
}

TEST_F(DataAreaAttach, EveryCorruptedSuperblockFieldIsRefused) {
    Domain& a = peer();
    { DataArea aa = attach(a); }
    AreaSuperblock good;
    std::memcpy(&good, a.data(), sizeof good);
    struct Case {
        const char* what;
        std::function<void(AreaSuperblock&)> corrupt;
        int err;
    };
    const std::vector<Case> cases = {
        {"magic", [](AreaSuperblock& s) { s.magic[3] ^= 1; }, EBADMSG},
        {"version", [](AreaSuperblock& s) { s.layout_version = 2; }, EPROTONOSUPPORT},
        {"superblock size", [](AreaSuperblock& s) { s.superblock_size = 4096; }, EBADMSG},
        {"data offset", [](AreaSuperblock& s) { s.data_offset += 4096; }, EBADMSG},
        {"data size", [](AreaSuperblock& s) { s.data_size *= 2; }, EBADMSG},
        {"page size", [](AreaSuperblock& s) { s.page_size = 2 << 20; }, EBADMSG},
        {"directory offset", [](AreaSuperblock& s) { s.directory_offset = 0; }, EBADMSG},
        {"directory slots 0", [](AreaSuperblock& s) { s.directory_slots = 0; }, EBADMSG},
        {"directory slots huge", [](AreaSuperblock& s) { s.directory_slots = 0xffffffffu; }, EBADMSG},
        {"directory slots other", [](AreaSuperblock& s) { s.directory_slots = 64; }, EBADMSG},
        {"entry size", [](AreaSuperblock& s) { s.directory_entry_size = 64; }, EBADMSG},
        {"table offset", [](AreaSuperblock& s) { s.arena_table_offset = 1ull << 40; }, EBADMSG},
        {"arena offset", [](AreaSuperblock& s) { s.arena_offset -= 4096; }, EBADMSG},
        {"slot size odd", [](AreaSuperblock& s) { s.arena_slot_size = 65536 + 4096; }, EBADMSG},
        {"slot size huge", [](AreaSuperblock& s) { s.arena_slot_size = 1ull << 62; }, EBADMSG},
        {"arena slots", [](AreaSuperblock& s) { s.arena_slots = 0xffffffffu; }, EBADMSG},
        {"arena entry size", [](AreaSuperblock& s) { s.arena_entry_size = 8; }, EBADMSG},
    };
    for (const Case& c : cases) {
        AreaSuperblock bad = good;
        c.corrupt(bad);
        std::memcpy(a.data(), &bad, sizeof bad);
        auto r = DataArea::attach(a, small_slots());
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().sys, c.err) << c.what << ": " << r.error().message;
    }
    std::memcpy(a.data(), &good, sizeof good);
    EXPECT_TRUE(DataArea::attach(a, small_slots()));
}

TEST_F(DataAreaAttach, RandomScribblesOverTheSuperblockNeverYieldAnotherGeometry) {
    Domain& a = peer();
    DataArea aa = attach(a);
    AreaSuperblock good;
    std::memcpy(&good, a.data(), sizeof good);
    std::mt19937_64 rng(42);
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        AreaSuperblock bad = good;
        auto* bytes = reinterpret_cast<unsigned char*>(&bad);
        for (int k = 0, n = 1 + static_cast<int>(rng() % 8); k < n; ++k)
            bytes[8 + rng() % (sizeof bad - 8)] = static_cast<unsigned char>(rng());
        std::memcpy(a.data(), &bad, sizeof bad);
        auto r = DataArea::attach(a, small_slots());
        if (!r) continue;
        ++accepted;  // only scribbles of informational or reserved bytes
        EXPECT_EQ(r->info().arena_offset, aa.info().arena_offset);
        EXPECT_EQ(r->info().arena_slots, aa.info().arena_slots);
        EXPECT_EQ(r->info().arena_slot_size, aa.info().arena_slot_size);
        EXPECT_EQ(r->info().directory_slots, aa.info().directory_slots);
    }
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, 3000);
}

TEST_F(DataAreaAttach, AFormatterThatDiedIsSuperseded) {
    Domain& a = peer();
    // Peer 900 (never attached) "was formatting": its attachment is dead.
    detail::word64(a.data()).store(detail::kAreaFormatting | detail::pack({900, 3}));
    auto r = DataArea::attach(a, small_slots());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->info().formatted_here);
}

TEST_F(DataAreaAttach, ALiveFormatterIsWaitedForThenTimesOut) {
    Domain& a = peer();
    Domain& b = peer();
    const Attachment b_att{b.self(), header_peer_epoch(static_cast<const SegmentHeader*>(
                                                            static_cast<void*>(b.segments()[0].base)),
                                                        b.self())};
    detail::word64(a.data()).store(detail::kAreaFormatting | detail::pack(b_att));
    DataAreaOptions o = small_slots();
    o.format_wait = std::chrono::milliseconds(200);
    auto r = DataArea::attach(a, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, ETIMEDOUT) << r.error().message;
}

TEST_F(DataAreaAttach, BadOptionsAreEINVALAndTooBigSlotsENOSPC) {
    Domain& a = peer();
    DataAreaOptions o;
    o.arena_slot_size = 3 * 4096;
    EXPECT_EQ(DataArea::attach(a, o).error().sys, EINVAL);
    o.arena_slot_size = 1024;
    EXPECT_EQ(DataArea::attach(a, o).error().sys, EINVAL);
    o.arena_slot_size = 0;
    o.directory_slots = 70000;
    EXPECT_EQ(DataArea::attach(a, o).error().sys, EINVAL);
    o.directory_slots = 0;
    o.arena_slot_size = 8 << 20;  // bigger than the whole 4 MiB domain
    EXPECT_EQ(DataArea::attach(a, o).error().sys, ENOSPC);
    EXPECT_EQ(detail::word64(a.data()).load(), 0u);  // nothing was claimed
}

class ReadOnlyDataArea : public DatapathTest {
protected:
    ReadOnlyDataArea() : DatapathTest("4MB", 2, "R/O") {}
};

TEST_F(ReadOnlyDataArea, AnUnformattedAreaCannotBeFormattedByAReadOnlyPeer) {
    auto r = DataArea::attach(peer(), small_slots());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, EROFS) << r.error().message;
}

}  // namespace
}  // namespace memdomain::test
