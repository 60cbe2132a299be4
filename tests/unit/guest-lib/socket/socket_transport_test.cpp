// The socket transport against a real memdomaind: what open reports, the
// errors it gives for a missing, mis-named or invalid domain, doorbells and
// events between two transports, a server that dies, the listing, and a
// domain of two segments (4K R/W + 2M R/O) opened through both its sockets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "memdomain/common/names.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "../free_address.h"
#include "server_fixture.h"
#include "transport.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

const std::string kConfig = domain_config("Solo") + domain_config("Second", "64K", 1);

class SocketTransport : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }
    OpenOptions options() const {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = server_.socket_dir();
        o.timeout = milliseconds(3000);
        return o;
    }
    Result<std::unique_ptr<detail::Transport>> open(const std::string& name) {
        return detail::open_socket_transport(name, options());
    }
    // Processes events until `pred(events)` holds or 3 s pass.
    template <class Pred>
    bool events_until(detail::Transport& t, std::vector<PeerEvent>& events, Pred pred) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!pred(events)) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            (void)sys::wait_readable(t.event_fd(), milliseconds(50));
            (void)t.process_events(&events);
        }
        return true;
    }
    // The server announces a join to the others after the joiner's open
    // returned: wait for it before ringing the newcomer.
    bool sees_peer(detail::Transport& t, PeerId peer) {
        std::vector<PeerEvent> ignored;
        return events_until(t, ignored, [&](auto&) {
            auto p = t.peers();
            return std::find(p.begin(), p.end(), peer) != p.end();
        });
    }
    Server server_{kConfig};
};

TEST_F(SocketTransport, OpenReportsTheSegmentFromTheHeader) {
    auto t = open("Solo");
    ASSERT_TRUE(t) << t.error().message;
    const SegmentView& s = (*t)->segments().front();
    EXPECT_EQ((*t)->name(), "Solo");
    EXPECT_EQ((*t)->kind(), TransportKind::Socket);
    EXPECT_EQ((*t)->interrupt_mode(), InterruptMode::Eventfd);
    EXPECT_EQ((*t)->vectors(), 2u);
    EXPECT_EQ(s.access, Access::ReadWrite);
    EXPECT_EQ(s.page_size, 4096u);
    EXPECT_EQ(s.size, 1u << 20);
    EXPECT_EQ(s.data + s.data_size, s.base + s.size);
    auto h = validate_segment_header(s.base, s.size);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ((*t)->generation(), h->generation);
    EXPECT_TRUE(header_is_present(&*h, (*t)->self()));
    EXPECT_GE((*t)->doorbell_fd(1), 0);
    EXPECT_EQ((*t)->doorbell_fd(2), -1);
    EXPECT_GE((*t)->event_fd(), 0);
}

TEST_F(SocketTransport, MissingSocketIsENOENT) {
    auto t = open("Absent");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, ENOENT) << t.error().message;
}

TEST_F(SocketTransport, InvalidNameIsEINVAL) {
    auto t = open("../etc");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL) << t.error().message;
}

TEST_F(SocketTransport, SocketServingAnotherDomainIsRefusedByName) {
    // A second name for Solo's socket: the header must expose the mix-up.
    ASSERT_EQ(::link(server_.socket("Solo").c_str(), server_.socket("Impostor").c_str()), 0);
    auto t = open("Impostor");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL);
    EXPECT_NE(t.error().message.find("'Solo'"), std::string::npos) << t.error().message;
}

TEST_F(SocketTransport, NotifyBumpsTheMailboxWordAndRingsThePeer) {
    auto a = open("Solo"), b = open("Solo");
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(sees_peer(**a, (*b)->self()));
    ASSERT_TRUE((*a)->notify((*b)->self(), 1));
    EXPECT_EQ(*(*b)->wait(1, milliseconds(2000)), 1u);
    auto h = validate_segment_header((*a)->segments().front().base, (*a)->segments().front().size);
    ASSERT_TRUE(h);
    std::uint64_t* w = mailbox_word((*b)->segments().front().base, *h, (*b)->self(), 1);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(std::atomic_ref<std::uint64_t>(*w).load(), 1u);
}

TEST_F(SocketTransport, NotifyOfAVectorOutOfRangeIsEINVAL) {
    auto a = open("Solo"), b = open("Solo");
    ASSERT_TRUE(a && b);
    auto st = (*a)->notify((*b)->self(), 2);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, EINVAL);
}

TEST_F(SocketTransport, WaitWithoutARingTimesOutWithZero) {
    auto a = open("Solo");
    ASSERT_TRUE(a);
    const auto start = std::chrono::steady_clock::now();
    auto n = (*a)->wait(0, milliseconds(100));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(90));
}

TEST_F(SocketTransport, JoinAndLeaveOfASecondClientAreEvents) {
    auto a = open("Solo");
    ASSERT_TRUE(a);
    std::vector<PeerEvent> events;
    PeerId b_id;
    {
        auto b = open("Solo");
        ASSERT_TRUE(b);
        b_id = (*b)->self();
        EXPECT_TRUE(events_until(**a, events, [](auto& e) { return !e.empty(); }));
        ASSERT_EQ(events.size(), 1u);
        EXPECT_EQ(events[0].kind, PeerEvent::Kind::Joined);
        EXPECT_EQ(events[0].peer, b_id);
        EXPECT_EQ((*a)->peers(), std::vector<PeerId>{b_id});
    }
    EXPECT_TRUE(events_until(**a, events, [](auto& e) { return e.size() >= 2; }));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].kind, PeerEvent::Kind::Left);
    EXPECT_EQ(events[1].peer, b_id);
    EXPECT_TRUE((*a)->peers().empty());
}

TEST_F(SocketTransport, JoinSeenThroughPeersIsStillReportedByEvents) {
    OpenOptions o = options();
    auto a = Domain::open("Solo", o);
    ASSERT_TRUE(a) << a.error().message;
    auto b = Domain::open("Solo", o);
    ASSERT_TRUE(b);
    std::vector<PeerId> peers;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while ((peers = a->peers()).empty() && std::chrono::steady_clock::now() < deadline)
        (void)sys::wait_readable(a->event_fd(), milliseconds(50));
    ASSERT_EQ(peers, std::vector<PeerId>{b->self()});
    auto events = a->events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Joined);
}

TEST_F(SocketTransport, ServerKilledIsECONNRESETAndMemoryStaysUsable) {
    auto a = open("Solo");
    ASSERT_TRUE(a);
    std::byte* data = (*a)->segments().front().data;
    std::memcpy(data, "before", 6);
    server_.process().kill();
    Status st;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while ((st = (*a)->process_events(nullptr)) && std::chrono::steady_clock::now() < deadline)
        (void)sys::wait_readable((*a)->event_fd(), milliseconds(50));
    ASSERT_FALSE(st) << "no error after the server died";
    EXPECT_EQ(st.error().sys, ECONNRESET) << st.error().message;
    EXPECT_EQ(std::memcmp(data, "before", 6), 0);
    std::memcpy(data, "after", 5);  // still mapped R/W: no SIGBUS, no SIGSEGV
    EXPECT_EQ(std::memcmp(data, "after", 5), 0);
    EXPECT_TRUE(validate_segment_header((*a)->segments().front().base, (*a)->segments().front().size));
    EXPECT_FALSE((*a)->process_events(nullptr)) << "the hang-up must stay reported";
}

TEST_F(SocketTransport, DomainRefreshReportsTheServerHangUp) {
    OpenOptions o = options();
    o.transport = TransportKind::Socket;
    auto d = Domain::open("Solo", o);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->refresh());
    server_.process().kill();
    Status st;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while ((st = d->refresh()) && std::chrono::steady_clock::now() < deadline)
        (void)sys::wait_readable(d->event_fd(), milliseconds(50));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ECONNRESET) << st.error().message;
}

TEST_F(SocketTransport, ListingShowsDomainSocketsAndSegmentsOnly) {
    auto extra = sys::listen_unix(server_.socket_dir() + "/Multi@1.sock", 1);
    ASSERT_TRUE(extra) << extra.error().message;
    std::ofstream(server_.socket_dir() + "/NotASocket.sock") << "x";
    auto l = detail::list_socket_domains(options());
    ASSERT_TRUE(l) << l.error().message;
    std::vector<std::string> seen;
    for (const auto& d : *l) seen.push_back(d.name + "@" + std::to_string(d.segment));
    EXPECT_EQ(seen, (std::vector<std::string>{"Multi@1", "Second@0", "Solo@0"}));
    EXPECT_EQ(l->back().location, server_.socket("Solo"));
}

TEST_F(SocketTransport, ListingOfAMissingDirectoryIsEmpty) {
    OpenOptions o = options();
    o.socket_dir = server_.socket_dir() + "/does-not-exist";
    auto l = detail::list_socket_domains(o);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(l->empty());
}

// The talk's example: one domain, a small 4K R/W segment for control data
// and a 2M-page R/O one for bulk data, each on its own socket.
constexpr const char* kTwoSegmentConfig = R"(
memdomain Talk {
    type = shared
    policy = static
    vectors = 1
    size {
        huge 4K = 1MB R/W
        huge 2M = 2MB R/O
    }
}
)";

class SocketTwoSegments : public ::testing::Test {
protected:
    void SetUp() override {
        // The server takes every domain of its config or none: without a
        // free 2M page it would not start at all.
        auto pool = sys::hugepage_pool(2 * MiB);
        // The pool is something CI provides (setup-host.sh): short is a
        // failure, not a skip.
        if (!pool || pool->available() < 1)
            FAIL() << "no free 2 MiB hugepage for the 2M segment ("
                         << (pool ? std::to_string(pool->free) + " free, " + std::to_string(pool->reserved) +
                                        " reserved of " + std::to_string(pool->total)
                                  : pool.error().message)
                         << "); grow the pool with scripts/setup-host.sh --hugepages N";
        server_.emplace(kTwoSegmentConfig);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    OpenOptions options() const {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = server_->socket_dir();
        o.timeout = milliseconds(3000);
        return o;
    }
    std::optional<Server> server_;
};

TEST_F(SocketTwoSegments, OpenAttachesBothSegmentsOfOneInstance) {
    auto d = Domain::open("Talk", options());
    ASSERT_TRUE(d) << d.error().message;
    const auto& segs = d->segments();
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].index, 0u);
    EXPECT_EQ(segs[0].page_size, 4 * KiB);
    EXPECT_EQ(segs[0].size, 1 * MiB);
    EXPECT_EQ(segs[0].access, Access::ReadWrite);
    EXPECT_EQ(segs[1].index, 1u);
    EXPECT_EQ(segs[1].page_size, 2 * MiB);
    EXPECT_EQ(segs[1].size, 2 * MiB);
    EXPECT_EQ(segs[1].access, Access::ReadOnly);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(segs[1].base) % (2 * MiB), 0u) << "a 2M segment on a 2M boundary";
    auto h0 = validate_segment_header(segs[0].base, segs[0].size);
    auto h1 = validate_segment_header(segs[1].base, segs[1].size);
    ASSERT_TRUE(h0 && h1);
    EXPECT_EQ(h1->generation, h0->generation);
    EXPECT_EQ(h1->segment_count, 2u);
    EXPECT_EQ(d->data(), static_cast<void*>(segs[0].data)) << "data() stays segment 0";
}

TEST_F(SocketTwoSegments, SecondClientSeesTheFirstsBytesAndDoorbells) {
    auto a = Domain::open("Talk", options());
    ASSERT_TRUE(a) << a.error().message;
    auto b = Domain::open("Talk", options());
    ASSERT_TRUE(b) << b.error().message;
    std::strcpy(static_cast<char*>(a->data()), "control");
    EXPECT_STREQ(static_cast<const char*>(b->data()), "control");
    // Doorbells and peers are segment 0's: each sees the other once.
    std::vector<PeerId> peers;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while ((peers = a->peers()).empty() && std::chrono::steady_clock::now() < deadline)
        (void)sys::wait_readable(a->event_fd(), milliseconds(50));
    ASSERT_EQ(peers, std::vector<PeerId>{b->self()});
    ASSERT_TRUE(a->notify(b->self(), 0));
    EXPECT_EQ(*b->wait(0, milliseconds(2000)), 1u);
}

TEST_F(SocketTwoSegments, VaddrPutsEachSegmentAfterThePreviousRoundedToItsPageSize) {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool || pool->available() < 1)
        FAIL() << "no second free 2 MiB hugepage for a vaddr instance (scripts/setup-host.sh sizes the pool)";
    const std::uint64_t at = free_address();
    char vaddr[32];
    std::snprintf(vaddr, sizeof vaddr, "0x%" PRIx64, at);
    std::string config = kTwoSegmentConfig;
    config.replace(config.find("vectors = 1"), 11, std::string("vectors = 1\n    vaddr = ") + vaddr);
    Server placed(config);
    ASSERT_TRUE(placed.ok()) << placed.start_error();
    OpenOptions o = options();
    o.socket_dir = placed.socket_dir();
    auto d = Domain::open("Talk", o);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(d->segments()[0].base), at);
    EXPECT_EQ(d->segments()[0].map_address, at);
    // 1M of 4K pages, then the 2M segment on the next 2M boundary.
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(d->segments()[1].base), at + 2 * MiB);
    EXPECT_EQ(d->segments()[1].map_address, at + 2 * MiB);
    // The same domain again in this process: its address is ours already.
    auto again = Domain::open("Talk", o);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().sys, EEXIST) << again.error().message;
    EXPECT_NE(again.error().message.find("something else is mapped there"), std::string::npos)
        << again.error().message;
}

}  // namespace
}  // namespace memdomain::test
