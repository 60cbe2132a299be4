// The ivshmem server protocol as a raw client sees it, against a real
// memdomaind: message order, fds, join/leave fan-out, id rules, limits, and
// clients that misbehave.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"
#include "eventually.h"
#include "server_fixture.h"

using namespace memdomain;
using namespace std::chrono_literals;

namespace {

const char* kConfig = R"(
memdomain Proto {
    vectors = 2
    max_peers = 4
    size {
        huge 4K = 1MB R/W
    }
}
)";

// A raw protocol client: connects and reads its initial burst.
struct RawPeer {
    sys::UniqueFd sock;
    std::int64_t id = -1;
    sys::UniqueFd memfd;
    std::vector<std::pair<std::int64_t, sys::UniqueFd>> others;  // (peer id, eventfd)
    std::vector<sys::UniqueFd> own;

    static RawPeer connect(const std::string& path, std::uint32_t vectors = 2) {
        RawPeer p;
        auto s = sys::connect_unix(path);
        EXPECT_TRUE(s) << s.error().message;
        p.sock = std::move(s).value();
        auto version = sys::receive_message(p.sock.get(), 2000ms);
        EXPECT_TRUE(version && version->value == ivshmem::kProtocolVersion && !version->fd.valid());
        auto id = sys::receive_message(p.sock.get(), 2000ms);
        EXPECT_TRUE(id && !id->fd.valid());
        p.id = id->value;
        auto shm = sys::receive_message(p.sock.get(), 2000ms);
        EXPECT_TRUE(shm && shm->value == ivshmem::kSharedMemoryId && shm->fd.valid());
        p.memfd = std::move(shm->fd);
        while (p.own.size() < vectors) {
            auto m = sys::receive_message(p.sock.get(), 2000ms);
            EXPECT_TRUE(m) << m.error().message;
            if (!m) break;
            EXPECT_TRUE(m->fd.valid()) << "every message of the initial burst after the memory carries an fd";
            if (m->value == p.id)
                p.own.push_back(std::move(m->fd));
            else
                p.others.emplace_back(m->value, std::move(m->fd));
        }
        return p;
    }
    // Next message, or nullopt on timeout.
    std::optional<sys::Message> next(std::chrono::milliseconds t = 2000ms) {
        auto m = sys::receive_message(sock.get(), t);
        if (!m) return std::nullopt;
        return std::move(m).value();
    }
};

// Hostile clients must not make the server leak: it exits cleanly after
// them (under LeakSanitizer a leak would make the exit status non-zero).
void expect_clean_exit(test::Server& server) {
    auto st = server.stop();
    ASSERT_TRUE(st) << "memdomaind did not exit on SIGTERM";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "exit status " << *st << "\n" << server.log();
}

}  // namespace

TEST(DomainServer, InitialBurstFollowsTheIvshmemOrder) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    EXPECT_EQ(a.own.size(), 2u);
    EXPECT_TRUE(a.others.empty());
    RawPeer b = RawPeer::connect(server.socket("Proto"));
    EXPECT_NE(a.id, b.id);
    ASSERT_EQ(b.others.size(), 2u) << "one eventfd per vector of the existing peer";
    EXPECT_EQ(b.others[0].first, a.id);
    EXPECT_EQ(b.others[1].first, a.id);
    // a hears of b: b's id twice, each with an fd.
    for (int v = 0; v < 2; ++v) {
        auto m = a.next();
        ASSERT_TRUE(m);
        EXPECT_EQ(m->value, b.id);
        EXPECT_TRUE(m->fd.valid());
    }
}

TEST(DomainServer, MemoryFdIsTheSealedSegmentWithAValidHeader) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    int seals = ::fcntl(a.memfd.get(), F_GET_SEALS);
    EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    EXPECT_NE(::ftruncate(a.memfd.get(), 4096), 0);
    void* m = ::mmap(nullptr, 1 << 20, PROT_READ, MAP_SHARED, a.memfd.get(), 0);
    ASSERT_NE(m, MAP_FAILED);
    auto h = validate_segment_header(m, 1 << 20);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(header_domain_name(*h), "Proto");
    EXPECT_EQ(h->vectors, 2u);
    EXPECT_TRUE(header_is_present(static_cast<SegmentHeader*>(m), static_cast<std::uint32_t>(a.id)));
    ::munmap(m, 1 << 20);
}

// Peer ids are reused; the join epoch is what tells two attachments of one
// id apart: every admission bumps it, before the newcomer hears its id.
TEST(DomainServer, EachAdmissionOfAnIdGetsANewJoinEpoch) {
    test::Server server(R"(
memdomain Proto {
    vectors = 2
    max_peers = 1
    size {
        huge 4K = 1MB R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    std::uint16_t first = 0;
    {
        RawPeer a = RawPeer::connect(server.socket("Proto"));
        ASSERT_EQ(a.id, 0);
        void* m = ::mmap(nullptr, 1 << 20, PROT_READ, MAP_SHARED, a.memfd.get(), 0);
        ASSERT_NE(m, MAP_FAILED);
        first = header_peer_epoch(static_cast<SegmentHeader*>(m), 0);
        EXPECT_NE(first, 0u);
        ::munmap(m, 1 << 20);
    }
    // The only id is free again once the server saw the hang-up.
    ASSERT_TRUE(test::eventually([&] { return server.log().find("peer 0 (pid") != std::string::npos &&
                                        server.log().find("leaves") != std::string::npos; }))
        << server.log();
    std::optional<RawPeer> b(RawPeer::connect(server.socket("Proto")));
    ASSERT_EQ(b->id, 0);
    void* m = ::mmap(nullptr, 1 << 20, PROT_READ, MAP_SHARED, b->memfd.get(), 0);
    ASSERT_NE(m, MAP_FAILED);
    EXPECT_EQ(header_peer_epoch(static_cast<SegmentHeader*>(m), 0), static_cast<std::uint16_t>(first + 1));
    ::munmap(m, 1 << 20);
}

TEST(DomainServer, DoorbellEventfdsConnectTheRightPeers) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    RawPeer b = RawPeer::connect(server.socket("Proto"));
    // b rings a on vector 1 through the fd it was given for (a, 1).
    ASSERT_TRUE(sys::eventfd_ring(b.others[1].second.get()));
    EXPECT_EQ(*sys::eventfd_drain(a.own[1].get()), 1u);
    EXPECT_EQ(*sys::eventfd_drain(a.own[0].get()), 0u);
}

TEST(DomainServer, LeaveIsAnnouncedAsIdWithoutFd) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    std::int64_t bid;
    {
        RawPeer b = RawPeer::connect(server.socket("Proto"));
        bid = b.id;
        a.next();
        a.next();  // b's two eventfds
    }
    auto m = a.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->value, bid);
    EXPECT_FALSE(m->fd.valid());
}

TEST(DomainServer, FreedIdIsNotReusedByTheNextPeer) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    std::int64_t first;
    {
        RawPeer a = RawPeer::connect(server.socket("Proto"));
        first = a.id;
    }
    std::this_thread::sleep_for(50ms);
    RawPeer b = RawPeer::connect(server.socket("Proto"));
    EXPECT_NE(b.id, first);
}

TEST(DomainServer, PeerPastMaxPeersIsRefusedAndOthersUnaffected) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    std::vector<RawPeer> peers;
    for (int i = 0; i < 4; ++i) peers.push_back(RawPeer::connect(server.socket("Proto")));
    auto s = sys::connect_unix(server.socket("Proto"));
    ASSERT_TRUE(s);
    // A fifth peer is told it is refused (version, then id -1) and nothing more.
    auto version = sys::receive_message(s->get(), 2000ms);
    ASSERT_TRUE(version);
    EXPECT_EQ(version->value, ivshmem::kProtocolVersion);
    auto id = sys::receive_message(s->get(), 2000ms);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->value, ivshmem::kRefusedId);
    EXPECT_FALSE(id->fd.valid());
    auto m = sys::receive_message(s->get(), 2000ms);
    ASSERT_FALSE(m) << "no memory after a refusal";
    EXPECT_EQ(m.error().sys, ECONNRESET);
    EXPECT_NE(server.log().find("all 4 peer ids are in use"), std::string::npos) << server.log();
    ASSERT_TRUE(sys::eventfd_ring(peers[3].others[0].second.get()));
    EXPECT_EQ(*sys::eventfd_drain(peers[0].own[0].get()), 1u);
}

TEST(DomainServer, ClientThatSendsBytesIsDisconnected) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    RawPeer bad = RawPeer::connect(server.socket("Proto"));
    a.next();
    a.next();
    ASSERT_EQ(::send(bad.sock.get(), "garbage!", 8, MSG_NOSIGNAL), 8);
    auto leave = a.next();
    ASSERT_TRUE(leave);
    EXPECT_EQ(leave->value, bad.id);
    EXPECT_FALSE(leave->fd.valid());
    auto gone = sys::receive_message(bad.sock.get(), 2000ms);
    EXPECT_FALSE(gone);
    expect_clean_exit(server);
}

TEST(DomainServer, ClientThatNeverReadsDoesNotBlockOthers) {
    test::Server server(std::string("server {\n    max_queued_messages = 64\n}\n") + kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    // A client that connects and never reads a byte.
    auto stuck = sys::connect_unix(server.socket("Proto"));
    ASSERT_TRUE(stuck);
    // Others come and go many times; each coming and going queues messages to
    // the stuck client until it passes the limit and is dropped.
    // (The kernel buffers a few hundred messages first, so it takes a while.)
    int rounds = 0;
    for (; rounds < 3000 && server.log().find("stopped reading") == std::string::npos; ++rounds) {
        RawPeer p = RawPeer::connect(server.socket("Proto"));
        ASSERT_GE(p.id, 0) << "round " << rounds;
    }
    EXPECT_LT(rounds, 3000) << "the stuck client was never dropped";
    RawPeer after = RawPeer::connect(server.socket("Proto"));
    EXPECT_GE(after.id, 0);
    expect_clean_exit(server);
}

TEST(DomainServer, PeersOfOneDomainHearNothingOfAnother) {
    test::Server server(std::string(kConfig) + test::domain_config("Other"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    RawPeer a = RawPeer::connect(server.socket("Proto"));
    RawPeer other = RawPeer::connect(server.socket("Other"));
    EXPECT_TRUE(other.others.empty()) << "a peer of Other must not receive Proto's eventfds";
    EXPECT_FALSE(a.next(200ms)) << "a peer of Proto must not hear of Other's newcomer";
    // Distinct memory: the fds are different files.
    struct stat sa {}, so {};
    ::fstat(a.memfd.get(), &sa);
    ::fstat(other.memfd.get(), &so);
    EXPECT_NE(sa.st_ino, so.st_ino);
}

TEST(DomainServer, FdCountReturnsAfterPeersLeave) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    const int before = test::count_fds(server.pid());
    {
        RawPeer a = RawPeer::connect(server.socket("Proto"));
        RawPeer b = RawPeer::connect(server.socket("Proto"));
        EXPECT_GT(test::count_fds(server.pid()), before);
    }
    for (int i = 0; i < 100 && test::count_fds(server.pid()) != before; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(test::count_fds(server.pid()), before);
}

TEST(DomainServer, ConnectionFloodLeavesServerUsable) {
    test::Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    const int before = test::count_fds(server.pid());
    for (int i = 0; i < 2000; ++i) {
        auto s = sys::connect_unix(server.socket("Proto"));
        ASSERT_TRUE(s) << "connect " << i << ": " << s.error().message;
    }  // each closed at once
    RawPeer ok = RawPeer::connect(server.socket("Proto"));
    EXPECT_GE(ok.id, 0);
    ok = RawPeer{};
    // The server has accepted every connection by now, but may still be
    // working through their hang-ups.
    for (int i = 0; i < 1000 && test::count_fds(server.pid()) != before; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(test::count_fds(server.pid()), before);
    expect_clean_exit(server);
}
