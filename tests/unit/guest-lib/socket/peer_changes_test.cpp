// PeerChanges alone: what events() reports for every order of joins and
// leaves of one id between two calls, and that nothing grows with churn.
#include <gtest/gtest.h>

#include "peer_changes.h"

namespace memdomain::detail {
namespace {

using K = PeerEvent::Kind;

std::vector<std::pair<K, PeerId>> take(PeerChanges& c) {
    std::vector<std::pair<K, PeerId>> out;
    for (const PeerEvent& e : c.take()) out.emplace_back(e.kind, e.peer);
    return out;
}

using Events = std::vector<std::pair<K, PeerId>>;

TEST(PeerChanges, NothingHappenedIsNothing) {
    PeerChanges c;
    EXPECT_FALSE(c.pending());
    EXPECT_TRUE(c.take().empty());
}

TEST(PeerChanges, AJoinIsJoined) {
    PeerChanges c;
    c.joined(3);
    EXPECT_TRUE(c.pending());
    EXPECT_EQ(take(c), (Events{{K::Joined, 3}}));
    EXPECT_FALSE(c.pending());
}

TEST(PeerChanges, TheLeaveOfAReportedPeerIsLeft) {
    PeerChanges c;
    c.joined(3);
    (void)c.take();
    c.left(3);
    EXPECT_EQ(take(c), (Events{{K::Left, 3}}));
}

TEST(PeerChanges, APeerThatCameAndWentIsAPair) {
    PeerChanges c;
    c.joined(3);
    c.left(3);
    EXPECT_EQ(take(c), (Events{{K::Joined, 3}, {K::Left, 3}}));
}

TEST(PeerChanges, AReportedPeerReplacedUnderItsIdIsLeftThenJoined) {
    PeerChanges c;
    c.joined(3);
    (void)c.take();
    c.left(3);
    c.joined(3);
    EXPECT_EQ(take(c), (Events{{K::Left, 3}, {K::Joined, 3}}));
}

TEST(PeerChanges, ManyPeersUnderOneIdAreAtMostFourEventsInTheOrderTheyHappened) {
    PeerChanges c;
    c.joined(3);
    (void)c.take();
    for (int i = 0; i < 10000; ++i) c.cycled(3);
    EXPECT_EQ(take(c), (Events{{K::Left, 3}, {K::Joined, 3}, {K::Left, 3}, {K::Joined, 3}}));
}

TEST(PeerChanges, ChurnOnEveryIdIsBoundedByTheIds) {
    PeerChanges c;
    for (int round = 0; round < 100; ++round)
        for (PeerId id = 0; id < kMaxPeers; ++id) {
            c.joined(id);
            c.left(id);
        }
    EXPECT_EQ(c.take().size(), 2u * kMaxPeers);
}

TEST(PeerChanges, IdsComeInAscendingOrder) {
    PeerChanges c;
    c.joined(9);
    c.joined(2);
    c.joined(5);
    (void)c.take();
    c.left(5);
    c.joined(7);
    c.left(2);
    EXPECT_EQ(take(c), (Events{{K::Left, 2}, {K::Left, 5}, {K::Joined, 7}}));
}

TEST(PeerChanges, ALeaveOfAnAbsentIdOrAnIdOutOfRangeIsIgnored) {
    PeerChanges c;
    c.left(4);
    c.joined(kMaxPeers);
    c.left(kMaxPeers + 5);
    EXPECT_FALSE(c.pending());
    EXPECT_TRUE(c.take().empty());
}

}  // namespace
}  // namespace memdomain::detail
