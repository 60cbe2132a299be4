// PeerIds: unique ids, handed out round-robin so a freed id is not reused at once.
#include "protocol/peer_ids.h"

#include <gtest/gtest.h>

#include <set>

using memdomain::server::PeerIds;

TEST(PeerIds, HandsOutDistinctIdsFromZero) {
    PeerIds ids(4);
    EXPECT_EQ(ids.allocate(), 0u);
    EXPECT_EQ(ids.allocate(), 1u);
    EXPECT_EQ(ids.allocate(), 2u);
    EXPECT_EQ(ids.in_use(), 3u);
}

TEST(PeerIds, FreedIdIsNotReusedAtOnce) {
    PeerIds ids(4);
    auto a = ids.allocate();
    ids.allocate();
    ids.release(*a);
    EXPECT_NE(ids.allocate(), a);  // 2, not 0
    EXPECT_NE(ids.allocate(), a);  // 3, not 0
    EXPECT_EQ(ids.allocate(), a);  // only now, after every other free id was used
}

TEST(PeerIds, RefusesWhenEveryIdIsTaken) {
    PeerIds ids(3);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ids.allocate());
    EXPECT_FALSE(ids.allocate());
    ids.release(1);
    EXPECT_EQ(ids.allocate(), 1u);
}

TEST(PeerIds, ReleasingAnUnusedIdChangesNothing) {
    PeerIds ids(2);
    ids.release(1);
    ids.release(99);
    EXPECT_EQ(ids.in_use(), 0u);
    std::set<std::uint32_t> got{*ids.allocate(), *ids.allocate()};
    EXPECT_EQ(got, (std::set<std::uint32_t>{0, 1}));
}
