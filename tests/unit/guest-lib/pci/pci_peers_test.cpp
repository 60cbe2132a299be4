// Presence inside a guest comes only from the header the server maintains:
// peers() and events() follow socket peers as they join and leave.
#include <algorithm>
#include <thread>

#include "pci_fixture.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

// Calls peers() until `pred` holds or 3 s pass (the server updates the
// header after it has handled the connect or the hang-up).
template <class Pred>
std::vector<PeerId> peers_until(Domain& d, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::vector<PeerId> p = d.peers();
    while (!pred(p) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(5));
        p = d.peers();
    }
    return p;
}

bool contains(const std::vector<PeerId>& v, PeerId id) { return std::find(v.begin(), v.end(), id) != v.end(); }

TEST_F(PciTest, PeersExcludesSelfAndStartsEmptyWhenAlone) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    EXPECT_TRUE(pci->peers().empty());
}

TEST_F(PciTest, PeersShowsASocketPeerThatJoins) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    auto p = peers_until(*pci, [&](const auto& v) { return contains(v, sock->self()); });
    EXPECT_EQ(p, std::vector<PeerId>{sock->self()});
}

TEST_F(PciTest, PeersDropsASocketPeerThatLeaves) {
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    const PeerId gone = sock->self();
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    ASSERT_TRUE(contains(peers_until(*pci, [&](const auto& v) { return contains(v, gone); }), gone));
    { Domain closing = std::move(*sock); }  // hangs up
    auto p = peers_until(*pci, [&](const auto& v) { return !contains(v, gone); });
    EXPECT_FALSE(contains(p, gone));
}

TEST_F(PciTest, EventsReportJoinThenLeaveOfASocketPeer) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    std::vector<PeerEvent> seen;
    PeerId id = 0;
    {
        auto sock = open_socket();
        ASSERT_TRUE(sock) << sock.error().message;
        id = sock->self();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
            auto e = pci->events();
            seen.insert(seen.end(), e.begin(), e.end());
            std::this_thread::sleep_for(milliseconds(5));
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
        auto e = pci->events();
        seen.insert(seen.end(), e.begin(), e.end());
        std::this_thread::sleep_for(milliseconds(5));
    }
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(seen[0].peer, id);
    EXPECT_EQ(seen[1].kind, PeerEvent::Kind::Left);
    EXPECT_EQ(seen[1].peer, id);
}

// peers() in a guest applies what the header says, but what events() has
// to report survives it (the same coalesced record as the socket transport).
TEST_F(PciTest, PeersDoesNotSwallowTheEventsOfAGuest) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    ASSERT_TRUE(contains(peers_until(*pci, [&](const auto& v) { return contains(v, sock->self()); }), sock->self()));
    auto events = pci->events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(events[0].peer, sock->self());
}

// A domain with two peer ids: the guest has one, so every socket peer gets
// the other, and one that replaces another between two looks at the
// header leaves the bitmap unchanged. The join epoch tells them apart.
TEST(PciPresence, AnIdTakenOverBetweenTwoLooksIsLeftThenJoined) {
    Server server(R"(
memdomain Duo {
    max_peers = 2
    size {
        huge 4K = 1MB R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    IvshmemGuest guest(server.socket("Duo"));
    ASSERT_TRUE(guest.ok()) << guest.error();
    TempDir tree;
    FakeSysfs sysfs(tree.path() + "/sys");
    sysfs.add_device(kAddress, guest);
    OpenOptions po;
    po.transport = TransportKind::Pci;
    po.sysfs_root = sysfs.root();
    auto pci = Domain::open("Duo", po);
    ASSERT_TRUE(pci) << pci.error().message;
    OpenOptions so;
    so.transport = TransportKind::Socket;
    so.socket_dir = server.socket_dir();
    PeerId id = 0;
    {
        auto first = Domain::open("Duo", so);
        ASSERT_TRUE(first) << first.error().message;
        id = first->self();
        ASSERT_TRUE(contains(peers_until(*pci, [&](const auto& v) { return contains(v, id); }), id));
        (void)pci->events();
    }
    // Wait (through the header alone, not through pci) until the server
    // has handled the leave, then attach the replacement.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (header_is_present(guest.live_header(), id) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(2));
    auto second = Domain::open("Duo", so);
    ASSERT_TRUE(second) << second.error().message;
    ASSERT_EQ(second->self(), id);
    auto events = pci->events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Left);
    EXPECT_EQ(events[0].peer, id);
    EXPECT_EQ(events[1].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(events[1].peer, id);
}

TEST_F(PciTest, PresenceBitsBeyondMaxPeersAreIgnored) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    const std::uint32_t max = guest_->header().max_peers;
    ASSERT_LT(max, kMaxPeers) << "needs a domain with fewer than 1024 peer ids";
    SegmentHeader* live = guest_->live_header();
    const std::uint64_t saved = live->presence[max / 64];
    // A hostile peer sets a bit no server would; bump the seq so readers look.
    std::atomic_ref<std::uint64_t>(live->presence[max / 64]).fetch_or(std::uint64_t{1} << (max % 64));
    std::atomic_ref<std::uint64_t>(live->presence_seq).fetch_add(1);
    auto p = pci->peers();
    std::atomic_ref<std::uint64_t>(live->presence[max / 64]).store(saved);
    EXPECT_FALSE(contains(p, max));
    EXPECT_TRUE(std::all_of(p.begin(), p.end(), [&](PeerId id) { return id < max; }));
}

}  // namespace
}  // namespace memdomain::test
