// The socket transport's side of the ivshmem protocol, against a scripted
// fake server: every violation gets a clear error, and a well-formed burst
// (peers, own eventfds, later joins/leaves, a read-only fd) is understood.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "fake_ivshmem_server.h"
#include "memdomain/domain.h"
#include "process.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "server_fixture.h"
#include "socket/socket_transport.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kSegmentSize = 1 << 20;

// A memfd holding a valid segment of domain `name`.
sys::UniqueFd make_segment(const std::string& name, std::uint32_t vectors = 1) {
    SegmentHeaderSpec spec;
    spec.domain_name = name;
    spec.segment_size = kSegmentSize;
    spec.vectors = vectors;
    spec.generation = 42;
    return make_fake_segment(spec);
}

sys::UniqueFd new_eventfd() { return std::move(sys::eventfd_create()).value(); }

class SocketProtocol : public ::testing::Test {
protected:
    Result<std::unique_ptr<detail::Transport>> open(const std::string& name, milliseconds timeout = milliseconds(2000)) {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = dir_.path();
        o.timeout = timeout;
        return detail::open_socket_transport(name, o);
    }
    std::string socket(const std::string& name) { return dir_.file(name + ".sock"); }
    TempDir dir_;
};

TEST_F(SocketProtocol, VersionOtherThanZeroIsRefusedWithAClearMessage) {
    FakeIvshmemServer s(socket("Fake"), {{1}});
    auto t = open("Fake");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EPROTO);
    EXPECT_NE(t.error().message.find("version 1"), std::string::npos) << t.error().message;
}

TEST_F(SocketProtocol, SharedMemoryMessageWithoutFdIsAProtocolError) {
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1}});
    auto t = open("Fake");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EPROTO) << t.error().message;
}

TEST_F(SocketProtocol, OwnIdWithoutEventfdIsAProtocolError) {
    auto mem = make_segment("Fake");
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1, mem.get()}, {0}});
    auto t = open("Fake");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EPROTO) << t.error().message;
}

TEST_F(SocketProtocol, CorruptHeaderIsRefusedWithAClearMessage) {
    auto mem = make_segment("Fake");
    {
        auto m = sys::map_shared(mem.get(), kSegmentSize, sys::Protection::ReadWrite);
        ASSERT_TRUE(m);
        m->bytes()[0] = std::byte{'X'};  // breaks the magic
    }
    auto efd = new_eventfd();
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1, mem.get()}, {0, efd.get()}});
    auto t = open("Fake");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL);
    EXPECT_NE(t.error().message.find("magic"), std::string::npos) << t.error().message;
}

TEST_F(SocketProtocol, SilentServerTimesOut) {
    FakeIvshmemServer s(socket("Fake"), {{0}});
    const auto start = std::chrono::steady_clock::now();
    auto t = open("Fake", milliseconds(200));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, ETIMEDOUT) << t.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(SocketProtocol, ReadOnlyFdIsMappedReadOnly) {
    auto mem = make_segment("Fake");
    auto ro = sys::reopen(mem.get(), O_RDONLY);
    ASSERT_TRUE(ro);
    auto efd = new_eventfd();
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1, ro->get()}, {0, efd.get()}});
    auto t = open("Fake");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ((*t)->segments().front().access, Access::ReadOnly);
    EXPECT_EQ((*t)->generation(), 42u);
}

TEST_F(SocketProtocol, InitialBurstGivesUsThePeersEventfds) {
    auto mem = make_segment("Fake", 2);
    auto p0 = new_eventfd(), p1 = new_eventfd(), own0 = new_eventfd(), own1 = new_eventfd();
    FakeIvshmemServer s(socket("Fake"), {{0}, {5}, {-1, mem.get()}, {3, p0.get()}, {3, p1.get()},
                                         {5, own0.get()}, {5, own1.get()}});
    auto t = open("Fake");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ((*t)->self(), 5u);
    EXPECT_EQ((*t)->peers(), std::vector<PeerId>{3});
    ASSERT_TRUE((*t)->notify(3, 1));
    EXPECT_EQ(*sys::eventfd_drain(p1.get()), 1u) << "vector 1 of peer 3 is its second eventfd";
    EXPECT_EQ(*sys::eventfd_drain(p0.get()), 0u);
}

TEST_F(SocketProtocol, LaterJoinAndLeaveBecomeEvents) {
    auto mem = make_segment("Fake");
    auto p1 = new_eventfd(), p2 = new_eventfd(), own = new_eventfd();
    FakeIvshmemServer s(socket("Fake"),
                        {{0}, {0}, {-1, mem.get()}, {1, p1.get()}, {0, own.get()}, {2, p2.get()}, {1}});
    auto t = open("Fake");
    ASSERT_TRUE(t) << t.error().message;
    std::vector<PeerEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (events.size() < 2 && std::chrono::steady_clock::now() < deadline) {
        (void)sys::wait_readable((*t)->event_fd(), milliseconds(100));
        (void)(*t)->process_events(&events);
    }
    // Coalesced per peer: leaves first, then joins (not arrival order).
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, PeerEvent::Kind::Left);
    EXPECT_EQ(events[0].peer, 1u);
    EXPECT_EQ(events[1].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(events[1].peer, 2u);
    EXPECT_EQ((*t)->peers(), std::vector<PeerId>{2});
}

TEST_F(SocketProtocol, PeerWithSomeEventfdsMissingIsNotReportedYet) {
    auto mem = make_segment("Fake", 2);
    auto own0 = new_eventfd(), own1 = new_eventfd(), p0 = new_eventfd();
    // Peer 4 announces its vector 0 eventfd only: it cannot be rung on 1.
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1, mem.get()}, {0, own0.get()}, {0, own1.get()}, {4, p0.get()}});
    auto t = open("Fake");
    ASSERT_TRUE(t) << t.error().message;
    std::vector<PeerEvent> events;
    (void)sys::wait_readable((*t)->event_fd(), milliseconds(500));
    (void)(*t)->process_events(&events);
    EXPECT_TRUE(events.empty());
    EXPECT_TRUE((*t)->peers().empty());
    auto st = (*t)->notify(4, 1);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ENOENT);
}

// CPU time (user + system, clock ticks) the thread `tid` of this process used.
long thread_cpu_ticks(int tid) {
    const std::string stat = read_file("/proc/self/task/" + std::to_string(tid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
}

// A server that sends part of a message and never the rest leaves the
// connection readable for good: the reader thread must not spin on it.
TEST_F(SocketProtocol, ATornMessageDoesNotMakeTheReaderSpin) {
    auto mem = make_segment("Fake");
    auto own = new_eventfd();
    FakeIvshmemServer s(socket("Fake"), {{0}, {0}, {-1, mem.get()}, {0, own.get()}, {7, -1, 3}});
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = dir_.path();
    auto d = Domain::open("Fake", o);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_GT(d->reader_tid(), 0);
    const long before = thread_cpu_ticks(d->reader_tid());
    std::this_thread::sleep_for(milliseconds(1000));
    const long used = thread_cpu_ticks(d->reader_tid()) - before;
    EXPECT_LT(used, 10) << "the reader used " << used << " ticks of CPU in 1 s on a torn message";
    EXPECT_TRUE(d->refresh()) << "three bytes on a live connection are not an error";
    const auto t0 = std::chrono::steady_clock::now();
    { Domain closing = std::move(*d); }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(500)) << "the reader was slow to stop";
}

}  // namespace
}  // namespace memdomain::test
