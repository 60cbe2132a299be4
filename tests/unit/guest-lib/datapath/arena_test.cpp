// Arenas in one process with several attachments: claims, allocation,
// alignment, exhaustion, concurrent claimers (threads), and what happens to
// the claim of a peer that is gone. Claimers in separate processes, killed
// with SIGKILL, are in tests/integration/datapath.
#include <set>
#include <thread>

#include "area_layout.h"
#include "datapath_fixture.h"
#include "memdomain/arena.h"
#include "shared_word.h"

namespace memdomain::test {
namespace {

class Arenas : public DatapathTest {};

TEST_F(Arenas, ClaimsAreDisjointAndPageAlignedFromTheSegmentStart) {
    Domain& a = peer();
    Domain& b = peer();
    DataArea aa = attach(a), bb = attach(b);
    auto x = Arena::claim(aa, 1);
    auto y = Arena::claim(bb, 3 * kTestSlot);
    ASSERT_TRUE(x) << x.error().message;
    ASSERT_TRUE(y) << y.error().message;
    EXPECT_EQ(x->size(), kTestSlot);
    EXPECT_EQ(y->size(), 3 * kTestSlot);
    EXPECT_EQ(y->slot_count(), 3u);
    EXPECT_TRUE(x->offset() + x->size() <= y->offset() || y->offset() + y->size() <= x->offset());
    for (const Arena* r : {&*x, &*y}) {
        EXPECT_EQ((aa.info().data_offset + r->offset()) % aa.info().page_size, 0u);
        EXPECT_EQ(r->va_alignment(), 4096u);  // 4K pages: the page size is all that is promised
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r->data()) % r->va_alignment(), 0u);
    }
    // Both peers see both claims, with the right owners, live.
    int mine = 0, theirs = 0;
    for (const ArenaSlotState& s : bb.arena_slots()) {
        if (s.owner == aa.self() && s.live) ++mine;
        if (s.owner == bb.self() && s.live) ++theirs;
    }
    EXPECT_EQ(mine, 1);
    EXPECT_EQ(theirs, 3);
    EXPECT_TRUE(x->owned());
    EXPECT_TRUE(y->owned());
}

TEST_F(Arenas, AllocationsAreOffsetsInsideTheArenaAndCoalesceWhenFreed) {
    DataArea aa = attach(peer());
    auto r = Arena::claim(aa, 2 * kTestSlot);
    ASSERT_TRUE(r);
    std::vector<std::uint64_t> got;
    for (;;) {
        auto off = r->alloc(1000);
        if (!off) {
            EXPECT_EQ(off.error().sys, ENOMEM);
            break;
        }
        EXPECT_GE(*off, r->offset());
        EXPECT_LE(*off + 1000, r->offset() + r->size());
        EXPECT_EQ(*off % 64, 0u);
        ASSERT_NE(aa.at(*off, 1000), nullptr);
        std::memset(aa.at(*off, 1000), 0x5a, 1000);
        got.push_back(*off);
    }
    EXPECT_EQ(got.size(), 2 * kTestSlot / 1024);  // 1000 bytes take 16 cache lines
    EXPECT_EQ(std::set<std::uint64_t>(got.begin(), got.end()).size(), got.size());
    for (std::size_t i = 0; i < got.size(); i += 2) ASSERT_TRUE(r->free(got[i]));
    for (std::size_t i = 1; i < got.size(); i += 2) ASSERT_TRUE(r->free(got[i]));
    EXPECT_EQ(r->bytes_free(), r->size());
    auto whole = r->alloc(r->size());
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(*whole, r->offset());
}

TEST_F(Arenas, AlignmentIsOfTheAddress) {
    DataArea aa = attach(peer());
    auto r = Arena::claim(aa, 2 * kTestSlot);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->alloc(64));
    for (std::uint64_t align : {128u, 1024u, 4096u}) {
        auto off = r->alloc(100, align);
        ASSERT_TRUE(off) << off.error().message;
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aa.data() + *off) % align, 0u) << align;
    }
    EXPECT_EQ(r->alloc(100, 8192).error().sys, EINVAL);  // beyond the page size
    EXPECT_EQ(r->alloc(100, 96).error().sys, EINVAL);
    EXPECT_EQ(r->alloc(0).error().sys, EINVAL);
}

TEST_F(Arenas, FreeingWhatWasNotAllocatedChangesNothing) {
    DataArea aa = attach(peer());
    auto r = Arena::claim(aa);
    ASSERT_TRUE(r);
    auto off = r->alloc(256);
    ASSERT_TRUE(off);
    const std::uint64_t before = r->bytes_free();
    EXPECT_EQ(r->free(*off + 64).error().sys, EINVAL);
    EXPECT_EQ(r->free(0).error().sys, EINVAL);
    EXPECT_EQ(r->free(~std::uint64_t{0}).error().sys, EINVAL);
    EXPECT_EQ(r->bytes_free(), before);
    EXPECT_TRUE(r->free(*off));
    EXPECT_EQ(r->free(*off).error().sys, EINVAL);  // twice
}

TEST_F(Arenas, ExhaustionIsENOSPCAndReleaseGivesTheSlotsBack) {
    DataArea aa = attach(peer());
    const std::uint32_t slots = aa.info().arena_slots;
    auto all = Arena::claim(aa, std::uint64_t{slots} * kTestSlot);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(Arena::claim(aa).error().sys, ENOSPC);
    EXPECT_EQ(Arena::claim(aa, std::uint64_t{slots + 1} * kTestSlot).error().sys, ENOSPC);
    all->release();
    EXPECT_FALSE(all->owned());
    EXPECT_EQ(all->alloc(64).error().sys, ENXIO);
    EXPECT_TRUE(Arena::claim(aa, std::uint64_t{slots} * kTestSlot));
}

TEST_F(Arenas, ARunIsFoundPastSlotsOthersHold) {
    Domain& a = peer();
    DataArea aa = attach(a), bb = attach(peer());
    auto one = Arena::claim(aa);          // slot 0
    auto two = Arena::claim(bb);          // slot 1
    ASSERT_TRUE(one && two);
    one->release();                       // slot 0 free, slot 1 taken
    auto run = Arena::claim(aa, 2 * kTestSlot);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->first_slot(), 2u);     // 0 alone is too short
    auto single = Arena::claim(aa);
    ASSERT_TRUE(single);
    EXPECT_EQ(single->first_slot(), 0u);
}

TEST_F(Arenas, ConcurrentClaimersInThreadsNeverShareASlot) {
    constexpr int kThreads = 4, kRounds = 300;
    std::vector<Domain*> ds;
    for (int i = 0; i < kThreads; ++i) ds.push_back(&peer());
    std::vector<DataArea> areas;
    for (Domain* d : ds) areas.push_back(attach(*d));
    std::atomic<int> conflicts{0}, claims{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                auto r = Arena::claim(areas[t], (1 + (i + t) % 5) * kTestSlot);
                if (!r) continue;
                ++claims;
                // Our pattern in every slot, then check nobody else wrote theirs.
                const auto tag = static_cast<unsigned char>(t + 1);
                for (std::uint64_t o = 0; o < r->size(); o += kTestSlot) r->data()[o] = std::byte{tag};
                std::this_thread::yield();
                for (std::uint64_t o = 0; o < r->size(); o += kTestSlot)
                    if (r->data()[o] != std::byte{tag}) ++conflicts;
                if (!r->owned()) ++conflicts;
            }
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(conflicts.load(), 0);
    EXPECT_GT(claims.load(), kThreads * kRounds / 2);
}

TEST_F(Arenas, AGonePeersClaimIsTakenOverAndNotInheritedByItsIdsNextOwner) {
    Domain& a = peer();
    Domain& b = peer();
    DataArea aa = attach(a);
    const std::uint32_t slots = aa.info().arena_slots;
    std::uint32_t b_id = b.self();
    Attachment b_att;
    {
        DataArea bb = attach(b);
        b_att = bb.self();
        auto all = Arena::claim(bb, std::uint64_t{slots} * kTestSlot);
        ASSERT_TRUE(all);
        // A peer that dies does not release: leak the claim on purpose.
        die_holding(std::move(all).value());
        EXPECT_EQ(Arena::claim(aa).error().sys, ENOSPC);
    }
    drop(b, aa);
    // A new peer gets b's id back (the server hands ids out round robin:
    // open and close until it does), with a new epoch: the claim is not its.
    Domain* cp = nullptr;
    for (int i = 0; i < 70 && cp == nullptr; ++i) {
        Domain& p = peer();
        if (p.self() == b_id)
            cp = &p;
        else
            drop(p, aa);
    }
    ASSERT_NE(cp, nullptr) << "id " << b_id << " was never handed out again";
    Domain& c = *cp;
    DataArea cc = attach(c);
    EXPECT_NE(cc.self().epoch, b_att.epoch);
    for (const ArenaSlotState& s : cc.arena_slots()) {
        EXPECT_EQ(s.owner, b_att);
        EXPECT_FALSE(s.live);
    }
    // Anyone may take the dead claim over, slot by slot.
    auto taken = Arena::claim(cc, std::uint64_t{slots} * kTestSlot);
    ASSERT_TRUE(taken) << taken.error().message;
    EXPECT_TRUE(taken->owned());
    taken->release();
    auto reclaimed = aa.reclaim_stale_arenas();
    ASSERT_TRUE(reclaimed);
    EXPECT_EQ(*reclaimed, 0u);  // released, so nothing stale is left
}

TEST_F(Arenas, ReclaimStaleFreesOnlyDeadClaims) {
    Domain& b = peer();
    DataArea aa = attach(peer());
    auto mine = Arena::claim(aa, 2 * kTestSlot);
    ASSERT_TRUE(mine);
    {
        DataArea bb = attach(b);
        die_holding(Arena::claim(bb, 3 * kTestSlot).value());
    }
    drop(b, aa);
    auto n = aa.reclaim_stale_arenas();
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3u);
    EXPECT_TRUE(mine->owned());
}

TEST_F(Arenas, AScribbledOwnerWordEndsOwnership) {
    DataArea aa = attach(peer());
    auto r = Arena::claim(aa);
    ASSERT_TRUE(r);
    auto* table = reinterpret_cast<detail::ArenaEntry*>(aa.data() + aa.info().arena_table_offset);
    detail::word64(&table[r->first_slot()].owner).store(0x1234);
    EXPECT_FALSE(r->owned());
    // A scribble counts as free: the slot can be claimed again.
    auto again = Arena::claim(aa);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->first_slot(), r->first_slot());
}

}  // namespace
}  // namespace memdomain::test
