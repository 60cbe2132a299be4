// The directory in one process with several attachments: publish, lookup,
// withdraw, the refusals, concurrent publishers (threads), entries of gone
// peers and of peers "killed" mid-publish, and hostile scribbles. Publishers
// in separate processes, killed with SIGKILL, are in
// tests/integration/datapath.
#include <random>
#include <thread>

#include "area_layout.h"
#include "datapath_fixture.h"
#include "memdomain/directory.h"
#include "shared_word.h"

namespace memdomain::test {
namespace {

using detail::DirEntry;
using detail::DirKind;

class Names : public DatapathTest {
protected:
    DirEntry* entry(const DataArea& a, std::uint32_t i) {
        return reinterpret_cast<DirEntry*>(a.data() + a.info().directory_offset) + i;
    }
    // Writes an entry as a publisher would have left it, with state `kind`
    // and owner `owner`.
    void forge(const DataArea& a, std::uint32_t i, DirKind kind, Attachment owner, const std::string& name) {
        DirEntry* e = entry(a, i);
        e->offset = a.info().arena_offset;
        e->size = 64;
        e->name_length = static_cast<std::uint32_t>(name.size());
        std::memcpy(e->name, name.data(), name.size());
        detail::word64(&e->state).store(detail::dir_state(kind, 7, detail::pack(owner)));
    }
};

TEST_F(Names, PublishedNamesAreFoundByEveryPeer) {
    DataArea aa = attach(peer()), bb = attach(peer());
    Directory da(aa), db(bb);
    ASSERT_TRUE(da.publish("rx-ring.0", 4096, 512, 7));
    auto e = db.lookup("rx-ring.0");
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->name, "rx-ring.0");
    EXPECT_EQ(e->offset, 4096u);
    EXPECT_EQ(e->size, 512u);
    EXPECT_EQ(e->type, 7u);
    EXPECT_EQ(e->owner, aa.self());
    EXPECT_TRUE(e->live);
    EXPECT_EQ(db.lookup("rx-ring.1").error().sys, ENOENT);
    ASSERT_TRUE(da.withdraw("rx-ring.0"));
    EXPECT_EQ(db.lookup("rx-ring.0").error().sys, ENOENT);
    EXPECT_EQ(da.withdraw("rx-ring.0").error().sys, ENOENT);
}

TEST_F(Names, ANameIsPublishedOnceAcrossPeers) {
    DataArea aa = attach(peer()), bb = attach(peer());
    ASSERT_TRUE(Directory(aa).publish("one", 0, 64));
    EXPECT_EQ(Directory(aa).publish("one", 64, 64).error().sys, EEXIST);
    EXPECT_EQ(Directory(bb).publish("one", 64, 64).error().sys, EEXIST);
    EXPECT_EQ(Directory(bb).withdraw("one").error().sys, EPERM);
    EXPECT_EQ(Directory(bb).lookup("one")->offset, 0u);
}

TEST_F(Names, BadNamesAndRangesAreEINVAL) {
    DataArea aa = attach(peer());
    Directory d(aa);
    for (const std::string& bad : {std::string(), std::string(64, 'x'), std::string("a b"), std::string("tab\t"),
                                  std::string("caf\xc3\xa9"), std::string("nul\0x", 5)}) {
        EXPECT_EQ(d.publish(bad, 0, 64).error().sys, EINVAL) << bad;
        EXPECT_EQ(d.lookup(bad).error().sys, EINVAL) << bad;
    }
    EXPECT_TRUE(d.publish(std::string(63, 'x'), 0, 64));
    EXPECT_EQ(d.publish("zero", 0, 0).error().sys, EINVAL);
    EXPECT_EQ(d.publish("past", aa.size() - 8, 16).error().sys, EINVAL);
    EXPECT_EQ(d.publish("wrap", ~std::uint64_t{0} - 8, 16).error().sys, EINVAL);
    EXPECT_TRUE(d.publish("last", aa.size() - 16, 16));
}

TEST_F(Names, AFullDirectoryIsENOSPCUntilAnEntryIsWithdrawn) {
    DataAreaOptions o = small_slots();
    o.directory_slots = 8;
    DataArea aa = attach(peer(), o);
    Directory d(aa);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(d.publish("n" + std::to_string(i), 0, 64));
    EXPECT_EQ(d.publish("n8", 0, 64).error().sys, ENOSPC);
    ASSERT_TRUE(d.withdraw("n3"));
    EXPECT_TRUE(d.publish("n8", 0, 64));
    EXPECT_EQ(d.list().size(), 8u);
}

TEST_F(Names, AGonePeersEntriesAreInvisibleThenTakenOverOrWithdrawn) {
    Domain& b = peer();
    DataArea aa = attach(peer());
    {
        DataArea bb = attach(b);
        for (const char* n : {"b.ring", "b.pool", "b.stats"}) ASSERT_TRUE(Directory(bb).publish(n, 128, 64));
    }
    drop(b, aa);
    Directory d(aa);
    EXPECT_EQ(d.lookup("b.ring").error().sys, ENOENT);
    auto all = d.list();
    ASSERT_EQ(all.size(), 3u);
    for (const auto& e : all) EXPECT_FALSE(e.live);
    // A live peer may publish the name again: the dead entry does not count,
    // and its slot (the first one) is taken over.
    ASSERT_TRUE(d.publish("b.ring", 512, 64));
    EXPECT_EQ(d.lookup("b.ring")->offset, 512u);
    EXPECT_EQ(d.lookup("b.ring")->slot, 0u);
    ASSERT_TRUE(d.withdraw("b.pool"));  // anyone may withdraw a dead peer's entry
    EXPECT_EQ(d.withdraw("b.pool").error().sys, ENOENT);
    auto stale = d.withdraw_stale();  // what is left: b.stats
    ASSERT_TRUE(stale);
    EXPECT_EQ(*stale, 1u);
    ASSERT_EQ(d.list().size(), 1u);
    EXPECT_TRUE(d.list()[0].live);
}

TEST_F(Names, AnEntryLeftMidPublishNeverLooksValid) {
    DataArea aa = attach(peer());
    const Attachment dead{900, 4};
    forge(aa, 0, DirKind::Writing, dead, "half");
    forge(aa, 1, DirKind::Named, dead, "named");
    Directory d(aa);
    EXPECT_EQ(d.lookup("half").error().sys, ENOENT);
    EXPECT_EQ(d.lookup("named").error().sys, ENOENT);
    EXPECT_TRUE(d.list().empty());
    // Publishing the same names is not blocked by them.
    EXPECT_TRUE(d.publish("named", 0, 64));
    EXPECT_TRUE(d.publish("half", 0, 64));
    // They were taken over (the first two slots are reused).
    EXPECT_EQ(d.lookup("named")->slot + d.lookup("half")->slot, 1u);
    auto stale = d.withdraw_stale();
    ASSERT_TRUE(stale);
    EXPECT_EQ(*stale, 0u);
}

TEST_F(Names, ALiveWriterMidPublishIsNotTakenOver) {
    Domain& b = peer();
    DataArea aa = attach(peer()), bb = attach(b);
    forge(aa, 0, DirKind::Writing, bb.self(), "busy");
    Directory d(aa);
    ASSERT_TRUE(d.publish("other", 0, 64));
    EXPECT_EQ(d.lookup("other")->slot, 1u);
    EXPECT_EQ(*d.withdraw_stale(), 0u);
}

TEST_F(Names, ConcurrentPublishersOfOneNameHaveExactlyOneWinner) {
    constexpr int kThreads = 4, kRounds = 300;
    DataAreaOptions o = small_slots();
    o.directory_slots = 512;  // room for every round's winner
    std::vector<DataArea> areas;
    for (int i = 0; i < kThreads; ++i) areas.push_back(attach(peer(), o));
    std::vector<int> winners(kRounds, 0), errors(kRounds, 0);
    std::atomic<int> arrived{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back([&, t] {
            Directory d(areas[t]);
            for (int r = 0; r < kRounds; ++r) {
                // Everyone starts round r together.
                arrived.fetch_add(1);
                while (arrived.load() < (r + 1) * kThreads) std::this_thread::yield();
                auto st = d.publish("race." + std::to_string(r), 64 * t, 64);
                if (st)
                    __atomic_add_fetch(&winners[r], 1, __ATOMIC_SEQ_CST);
                else if (st.error().sys != EEXIST)
                    __atomic_add_fetch(&errors[r], 1, __ATOMIC_SEQ_CST);
            }
        });
    for (auto& t : ts) t.join();
    for (int r = 0; r < kRounds; ++r) {
        EXPECT_EQ(winners[r], 1) << "round " << r;
        EXPECT_EQ(errors[r], 0) << "round " << r;
    }
}

TEST_F(Names, ConcurrentPublishersOfDistinctNamesAllSucceed) {
    constexpr int kThreads = 4, kEach = 30;
    std::vector<DataArea> areas;
    for (int i = 0; i < kThreads; ++i) areas.push_back(attach(peer()));
    std::atomic<int> failures{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back([&, t] {
            Directory d(areas[t]);
            for (int i = 0; i < kEach; ++i)
                if (!d.publish("t" + std::to_string(t) + "." + std::to_string(i), 64 * i, 64)) ++failures;
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(failures.load(), 0);
    Directory d(areas[0]);
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) {
            auto e = d.lookup("t" + std::to_string(t) + "." + std::to_string(i));
            ASSERT_TRUE(e);
            EXPECT_EQ(e->owner, areas[t].self());
            EXPECT_EQ(e->offset, 64u * i);
        }
}

TEST_F(Names, ScribblesOverTheDirectoryGiveErrorsNeverBadRanges) {
    Domain& b = peer();
    DataArea aa = attach(peer()), bb = attach(b);
    const std::uint32_t slots = aa.info().directory_slots;
    std::atomic<bool> stop{false};
    // A hostile peer writes garbage over random entries, in its own thread,
    // sometimes with a plausible state word (VALID with a live owner).
    std::thread hostile([&] {
        std::mt19937_64 rng(7);
        while (!stop.load()) {
            DirEntry* e = entry(bb, static_cast<std::uint32_t>(rng() % slots));
            auto* w = reinterpret_cast<std::uint64_t*>(e);
            for (int k = 0; k < 16; ++k) detail::word64(&w[k]).store(rng());
            if (rng() % 2) detail::word64(&e->state).store(detail::dir_state(DirKind::Valid, rng(), detail::pack(bb.self())));
            if (rng() % 2) detail::word32(&e->name_length).store(static_cast<std::uint32_t>(rng() % 80));
        }
    });
    Directory d(aa);
    int published = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::string name = "n" + std::to_string(i % 50);
        if (i % 3 == 0 && d.publish(name, 64, 64)) ++published;
        if (auto e = d.lookup(name)) {
            EXPECT_NE(aa.at(e->offset, e->size), nullptr);
            EXPECT_GT(e->size, 0u);
        } else {
            EXPECT_TRUE(e.error().sys == ENOENT) << e.error().message;
        }
        for (const DirectoryEntry& e : d.list()) EXPECT_LE(e.name.size(), kDirectoryNameMax);
        if (i % 100 == 0) (void)d.withdraw_stale();
    }
    stop = true;
    hostile.join();
    EXPECT_GT(published, 0);
}

}  // namespace
}  // namespace memdomain::test
