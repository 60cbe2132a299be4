// Keeping up with the server (socket transport): the background reader
// thread, what it keeps (coalesced per peer, bounded), the opt-out and its
// contract, fork(), and the limits on what a peer can make wait() return or
// a read-only client ring. Against a real memdomaind whose per-peer queue
// is small (max_queued_messages = 64), so that a churn of a few hundred
// peers drops any client that does not read: each test that says a client
// "stays attached" could fail.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <thread>

#include "memdomain/domain.h"
#include "memdomain/memdomain.h"
#include "memdomain/sys/socket.h"
#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

// "Busy": many ids, one vector; "Pair": two ids, so that a newcomer takes
// the id of the peer that just left; "Ro": one read-only segment.
const std::string kConfig = R"(
server {
    max_queued_messages = 64
}
memdomain Busy {
    vectors = 1
    max_peers = 16
    size {
        huge 4K = 1MB R/W
    }
}
memdomain Pair {
    vectors = 1
    max_peers = 2
    size {
        huge 4K = 1MB R/W
    }
}
)" + domain_config("Ro", "1MB", 1, "4K", "R/O");

// Joins and leaves: 2 messages each. Far more than 64 queued plus what the
// kernel's socket buffer holds (a few hundred 8-byte messages with fds).
constexpr int kChurn = 400;

int thread_count() {
    int n = 0;
    DIR* d = ::opendir("/proc/self/task");
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n;
}

class KeepUp : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }
    OpenOptions options(bool reader = true) const {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = server_.socket_dir();
        o.timeout = 3000ms;
        o.reader_thread = reader;
        return o;
    }
    md_open_options c_options() const {
        md_open_options o;
        md_open_options_init(&o);
        o.transport = MD_TRANSPORT_SOCKET;
        o.socket_dir = server_.socket_dir().c_str();
        return o;
    }
    Result<Domain> open(const std::string& name, bool reader = true) const {
        return Domain::open(name, options(reader));
    }
    // `n` peers attach and leave, one after the other. The churners do not
    // need a reader: they leave at once.
    void churn(const std::string& name, int n) const {
        for (int i = 0; i < n; ++i) {
            auto d = open(name, false);
            ASSERT_TRUE(d) << "churn " << i << ": " << d.error().message << "\n" << server_.log();
        }
    }
    // Waits until `d` sees `peer` (the server announces a join after the
    // joiner's open returned).
    static bool sees(Domain& d, PeerId peer) {
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        for (;;) {
            auto p = d.peers();
            if (std::find(p.begin(), p.end(), peer) != p.end()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
    }
    bool dropped_for_not_reading() const { return server_.log().find("stopped reading") != std::string::npos; }

    Server server_{kConfig};
};

TEST_F(KeepUp, ReaderThreadIsNamedAndBelongsToThisProcess) {
    const int before = thread_count();
    auto d = open("Busy");
    ASSERT_TRUE(d) << d.error().message;
    const int tid = d->reader_tid();
    ASSERT_GT(tid, 0);
    EXPECT_NE(tid, ::getpid());
    EXPECT_EQ(read_file("/proc/self/task/" + std::to_string(tid) + "/comm"), "md-reader\n");
    EXPECT_EQ(thread_count(), before + 1);
}

TEST_F(KeepUp, OptingOutStartsNoThread) {
    const int before = thread_count();
    auto d = open("Busy", false);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->reader_tid(), -1);
    EXPECT_EQ(thread_count(), before);
}

TEST_F(KeepUp, ClosingDomainsStopsTheirReaders) {
    const int before = thread_count();
    {
        std::vector<Domain> open_now;
        for (int i = 0; i < 10; ++i) {
            auto d = open("Busy");
            ASSERT_TRUE(d) << d.error().message;
            open_now.push_back(std::move(*d));
        }
        EXPECT_EQ(thread_count(), before + 10);
        // A moved-from Domain owns nothing; the moved-to one the thread.
        Domain moved = std::move(open_now.back());
        open_now.pop_back();
        EXPECT_GT(moved.reader_tid(), 0);
    }
    EXPECT_EQ(thread_count(), before);
}

// The issue's defect in small: a client that calls nothing at all while
// hundreds of peers come and go is not dropped, holds no eventfd of a peer
// that left, and still gets a doorbell afterwards.
TEST_F(KeepUp, ClientThatCallsNothingStaysAttachedThroughChurn) {
    auto quiet = open("Busy");
    ASSERT_TRUE(quiet) << quiet.error().message;
    const int fds_before = count_fds(::getpid());
    ASSERT_NO_FATAL_FAILURE(churn("Busy", kChurn));
    // Every leave reached the reader: the eventfds it held for the churners
    // are closed without any call from us.
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (count_fds(::getpid()) != fds_before && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(count_fds(::getpid()), fds_before);
    EXPECT_FALSE(dropped_for_not_reading()) << server_.log();
    ASSERT_TRUE(quiet->refresh()) << quiet->refresh().error().message;
    auto ringer = open("Busy");
    ASSERT_TRUE(ringer) << ringer.error().message;
    ASSERT_TRUE(sees(*ringer, quiet->self()));
    ASSERT_TRUE(ringer->notify(quiet->self(), 0));
    auto n = quiet->wait(0, 3000ms);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1u);
}

// The opt-out's contract, and proof that the churn above is enough to drop
// a client that does not read.
TEST_F(KeepUp, OptedOutClientThatCallsNothingIsDropped) {
    auto quiet = open("Busy", false);
    ASSERT_TRUE(quiet) << quiet.error().message;
    ASSERT_NO_FATAL_FAILURE(churn("Busy", kChurn));
    Status st;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while ((st = quiet->refresh()) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    ASSERT_FALSE(st) << "a client that never read was not dropped: the churn is too small to prove anything";
    EXPECT_EQ(st.error().sys, ECONNRESET) << st.error().message;
    EXPECT_TRUE(dropped_for_not_reading()) << server_.log();
}

// Without a reader, wait() reads the server's messages while it blocks.
TEST_F(KeepUp, OptedOutClientThatOnlyWaitsStaysAttached) {
    auto waiter = open("Busy", false);
    ASSERT_TRUE(waiter) << waiter.error().message;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> rings{0};
    std::thread t([&] {
        while (!stop) {
            auto n = waiter->wait(0, 20ms);
            if (n) rings += *n;
        }
    });
    churn("Busy", kChurn);
    stop = true;
    t.join();
    EXPECT_FALSE(dropped_for_not_reading()) << server_.log();
    EXPECT_TRUE(waiter->refresh());
}

// Per id: a Joined+Left pair for all the peers that came and went, then
// the Joined of the one there now; never more than that.
void expect_coalesced(const std::vector<PeerEvent>& events, std::uint32_t max_peers, PeerId stays) {
    std::map<PeerId, std::vector<PeerEvent::Kind>> per_id;
    for (const PeerEvent& e : events) per_id[e.peer].push_back(e.kind);
    EXPECT_LE(per_id.size(), max_peers);
    for (const auto& [id, kinds] : per_id) {
        std::vector<PeerEvent::Kind> want = {PeerEvent::Kind::Joined, PeerEvent::Kind::Left};
        if (id == stays) want.push_back(PeerEvent::Kind::Joined);
        if (id == stays && kinds.size() == 1) want = {PeerEvent::Kind::Joined};
        EXPECT_EQ(kinds, want) << "peer " << id;
    }
    EXPECT_TRUE(per_id.count(stays)) << "no Joined for the peer that stayed";
}

TEST_F(KeepUp, EventsAfterChurnAreBoundedPerId) {
    auto a = open("Busy");
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_NO_FATAL_FAILURE(churn("Busy", kChurn));
    auto stays = open("Busy");
    ASSERT_TRUE(stays) << stays.error().message;
    ASSERT_TRUE(sees(*a, stays->self()));
    // 400 came and went, one is still here: a pair per id used, one Joined.
    auto events = a->events();
    EXPECT_LE(events.size(), 2u * 16 + 1);
    expect_coalesced(events, 16, stays->self());
    EXPECT_TRUE(a->events().empty());
}

TEST_F(KeepUp, PeersCalledWithoutEventsNeitherSwallowsNorPilesUp) {
    auto a = open("Busy");
    ASSERT_TRUE(a) << a.error().message;
    for (int i = 0; i < kChurn / 4; ++i) {
        auto b = open("Busy", false);
        ASSERT_TRUE(b) << b.error().message;
        ASSERT_TRUE(sees(*a, b->self()));  // peers() applies the join ...
    }
    // ... and every join and leave was applied by peers() alone; events()
    // still has its say, once, coalesced per id: each peer seen through
    // peers() is also heard to have left.
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!a->peers().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    auto gone = a->events();
    EXPECT_FALSE(gone.empty());
    EXPECT_LE(gone.size(), 2u * 16);
    for (std::size_t i = 0; i + 1 < gone.size(); i += 2) {
        EXPECT_EQ(gone[i].kind, PeerEvent::Kind::Joined);
        EXPECT_EQ(gone[i + 1].kind, PeerEvent::Kind::Left);
        EXPECT_EQ(gone[i].peer, gone[i + 1].peer);
    }
    auto b = open("Busy", false);
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_TRUE(sees(*a, b->self()));
    auto events = a->events();
    ASSERT_EQ(events.size(), 1u) << "peers() swallowed the join";
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Joined);
}

TEST_F(KeepUp, AnIdTakenOverBetweenTwoCallsIsLeftThenJoined) {
    auto a = open("Pair");
    ASSERT_TRUE(a) << a.error().message;
    auto b = open("Pair");
    ASSERT_TRUE(b) << b.error().message;
    const PeerId id = b->self();
    ASSERT_TRUE(sees(*a, id));
    (void)a->events();
    { Domain gone = std::move(*b); }
    auto c = open("Pair");  // max_peers = 2: the only free id is b's
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->self(), id);
    ASSERT_TRUE(sees(*a, id));
    std::vector<PeerEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (events.size() < 2 && std::chrono::steady_clock::now() < deadline) {
        auto e = a->events();
        events.insert(events.end(), e.begin(), e.end());
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Left);
    EXPECT_EQ(events[0].peer, id);
    EXPECT_EQ(events[1].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(events[1].peer, id);
}

TEST_F(KeepUp, EventFdIsReadableOnAJoinAndQuietOnceLookedAt) {
    auto a = open("Busy");
    ASSERT_TRUE(a) << a.error().message;
    const int fd = a->event_fd();
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(*sys::wait_readable(fd, 0ms));
    auto b = open("Busy", false);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(*sys::wait_readable(fd, 3000ms)) << "the reader did not signal the join";
    EXPECT_EQ(a->events().size(), 1u);
    EXPECT_FALSE(*sys::wait_readable(fd, 0ms));
    { Domain gone = std::move(*b); }
    EXPECT_TRUE(*sys::wait_readable(fd, 3000ms)) << "the reader did not signal the leave";
    (void)a->peers();
    EXPECT_FALSE(*sys::wait_readable(fd, 0ms)) << "peers() looked: quiet until the next change";
    EXPECT_EQ(a->events().size(), 1u) << "... but events() still reports the leave";
}

TEST_F(KeepUp, EventFdStaysReadableAfterTheServerHangsUp) {
    auto a = open("Busy");
    ASSERT_TRUE(a) << a.error().message;
    server_.process().kill();
    ASSERT_TRUE(*sys::wait_readable(a->event_fd(), 3000ms));
    auto st = a->refresh();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ECONNRESET);
    EXPECT_TRUE(*sys::wait_readable(a->event_fd(), 0ms));
}

// fork() while the reader may hold the Domain's lock (peers keep coming and
// going meanwhile): every child uses its copy and exits, none hangs, and
// destroying the copy does not stop the parent's reader.
TEST_F(KeepUp, ForkedChildrenUseTheirCopyAndTheParentKeepsReading) {
    auto a = open("Busy");
    ASSERT_TRUE(a) << a.error().message;
    const int tid = a->reader_tid();
    std::atomic<bool> stop{false};
    std::thread churner([&] {
        while (!stop) churn("Busy", 5);
    });
    for (int i = 0; i < 40; ++i) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            // The child: no reader here; the copy works from what it had.
            const bool ok = a->reader_tid() == -1 && a->event_fd() == -1 && a->refresh();
            (void)a->peers();
            (void)a->events();
            std::memcpy(a->data(), "child", 5);
            { Domain gone = std::move(*a); }
            ::_exit(ok ? 0 : 3);
        }
        int status = 0;
        pid_t r = 0;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while ((r = ::waitpid(child, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        if (r == 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            stop = true;
            churner.join();
            FAIL() << "child " << i << " hung (a lock held by the reader at fork time?)";
        }
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << i << " status " << status;
    }
    stop = true;
    churner.join();
    EXPECT_EQ(std::memcmp(a->data(), "child", 5), 0);
    EXPECT_EQ(a->reader_tid(), tid);
    EXPECT_EQ(read_file("/proc/self/task/" + std::to_string(tid) + "/comm"), "md-reader\n");
    auto b = open("Busy", false);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(sees(*a, b->self())) << "the parent's reader stopped";
    EXPECT_TRUE(a->refresh()) << "the parent's Domain was dropped\n" << server_.log();
}

// A child holds copies of every descriptor of its parent until it exits.
// Its copy of a Domain closes its connections at once, so a Domain the
// parent closes is gone for the server although the child still runs.
TEST_F(KeepUp, ForkedChildDoesNotKeepAClosedDomainAttached) {
    auto watcher = open("Busy");
    ASSERT_TRUE(watcher) << watcher.error().message;
    auto closing = open("Busy");
    ASSERT_TRUE(closing) << closing.error().message;
    const PeerId id = closing->self();
    ASSERT_TRUE(sees(*watcher, id));
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        char c;
        ::close(go[1]);
        (void)!::read(go[0], &c, 1);  // lives until the parent has looked
        ::_exit(0);
    }
    ::close(go[0]);
    { Domain gone = std::move(*closing); }
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    bool left = false;
    while (!left && std::chrono::steady_clock::now() < deadline) {
        auto p = watcher->peers();
        left = std::find(p.begin(), p.end(), id) == p.end();
        if (!left) std::this_thread::sleep_for(5ms);
    }
    ::close(go[1]);
    ::waitpid(child, nullptr, 0);
    EXPECT_TRUE(left) << "the child's copy kept the closed Domain's connection alive";
}

// A read-only mapping cannot bump the mailbox word that guests without
// interrupts watch, so a read-only client's ring would reach some peers and
// silently not others: it is refused, saying why.
TEST_F(KeepUp, NotifyFromAReadOnlyClientIsRefusedSayingWhy) {
    auto ro = open("Ro");
    ASSERT_TRUE(ro) << ro.error().message;
    ASSERT_EQ(ro->access(), Access::ReadOnly);
    auto other = open("Ro");
    ASSERT_TRUE(other) << other.error().message;
    ASSERT_TRUE(sees(*ro, other->self()));
    auto st = ro->notify(other->self(), 0);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, EACCES);
    EXPECT_NE(st.error().message.find("read-only"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("mailbox"), std::string::npos) << st.error().message;
    EXPECT_EQ(*other->wait(0, 50ms), 0u) << "the ring went out anyway";
}

// Any peer holding our eventfd can add up to 2^64 - 2 in one write: wait()
// reports at most kMaxWaitCount, and md_wait never turns it into a
// negative "errno".
TEST_F(KeepUp, AHugeDoorbellCountIsCapped) {
    const md_open_options o = c_options();
    md_domain* d = nullptr;
    ASSERT_EQ(md_open("Busy", &o, &d), 0) << md_last_error();
    const std::uint64_t huge = 0xfffffffffffffffeull;
    ASSERT_EQ(::write(md_doorbell_fd(d, 0), &huge, sizeof huge), static_cast<ssize_t>(sizeof huge));
    const std::int64_t n = md_wait(d, 0, 0);
    EXPECT_EQ(n, static_cast<std::int64_t>(MD_MAX_WAIT_COUNT));
    EXPECT_EQ(md_wait(d, 0, 0), 0);  // consumed
    md_close(d);
}

TEST_F(KeepUp, CApiOpensWithAndWithoutTheReader) {
    const md_open_options o = c_options();
    md_domain* with = nullptr;
    md_domain* without = nullptr;
    ASSERT_EQ(md_open("Busy", &o, &with), 0) << md_last_error();
    ASSERT_EQ(md_open_ex("Busy", &o, MD_OPEN_NO_READER_THREAD, &without), 0) << md_last_error();
    EXPECT_GT(md_reader_tid(with), 0);
    EXPECT_EQ(md_reader_tid(without), -1);
    EXPECT_EQ(md_has_peer_id(with), 1);
    EXPECT_NE(md_self(with), MD_NO_PEER_ID);
    md_domain* bad = nullptr;
    EXPECT_EQ(md_open_ex("Busy", &o, 0x80, &bad), -EINVAL);
    EXPECT_EQ(bad, nullptr);
    EXPECT_NE(std::string(md_last_error()).find("unknown flags"), std::string::npos) << md_last_error();
    md_close(with);
    md_close(without);
}

}  // namespace
}  // namespace memdomain::test
