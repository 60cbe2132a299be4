// The socket wrappers against the real kernel: one int64 message with at most
// one fd, over a socketpair, including partial sends, hang-ups and messages
// no correct server sends (two fds); and listen/connect/accept/credentials.
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <endian.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::sys {
namespace {

using std::chrono::milliseconds;

struct Pair {
    Pair() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        server.reset(sv[0]);
        client.reset(sv[1]);
    }
    UniqueFd server, client;
};

int open_fd_count() {
    int n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;  // the directory's own fd
}

bool same_file(int a, int b) {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Sends raw bytes with `fds` attached, as a broken or hostile server might.
void send_raw(int sock, const void* bytes, std::size_t n, std::initializer_list<int> fds = {}) {
    iovec iov{const_cast<void*>(bytes), n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fds.size() > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.begin(), sizeof(int) * fds.size());
    }
    ASSERT_EQ(::sendmsg(sock, &msg, MSG_NOSIGNAL), static_cast<ssize_t>(n));
}

std::array<unsigned char, 8> le_bytes(std::int64_t v) {
    std::array<unsigned char, 8> b{};
    const std::uint64_t le = htole64(static_cast<std::uint64_t>(v));
    std::memcpy(b.data(), &le, 8);
    return b;
}

TEST(SocketMessage, ValueWithoutFdArrivesWithoutFd) {
    Pair p;
    ASSERT_EQ(send_message_part(p.server.get(), 42, -1, 0).value(), 8u);
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->value, 42);
    EXPECT_FALSE(m->fd.valid());
}

TEST(SocketMessage, FdArrivesAsTheSameFileAndCloseOnExec) {
    Pair p;
    auto efd = eventfd_create();
    ASSERT_TRUE(efd.has_value());
    ASSERT_EQ(send_message_part(p.server.get(), -1, efd->get(), 0).value(), 8u);
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->value, -1);
    ASSERT_TRUE(m->fd.valid());
    EXPECT_NE(m->fd.get(), efd->get());
    EXPECT_TRUE(same_file(m->fd.get(), efd->get()));
    EXPECT_NE(::fcntl(m->fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(SocketMessage, ExtremeValuesAreLittleEndianOnTheWire) {
    Pair p;
    for (std::int64_t v : {INT64_MIN, INT64_MAX, std::int64_t{0}, std::int64_t{0x0102030405060708}}) {
        ASSERT_EQ(send_message_part(p.server.get(), v, -1, 0).value(), 8u);
        unsigned char raw[8];
        ASSERT_EQ(::recv(p.client.get(), raw, 8, MSG_WAITALL), 8);
        EXPECT_EQ(std::memcmp(raw, le_bytes(v).data(), 8), 0) << v;
    }
}

TEST(SocketMessage, MessageSplitInTwoSendsIsReassembled) {
    Pair p;
    auto b = le_bytes(0x1122334455667788);
    send_raw(p.server.get(), b.data(), 3);
    send_raw(p.server.get(), b.data() + 3, 5);
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->value, 0x1122334455667788);
}

TEST(SocketMessage, FdOnTheFirstPartOfASplitMessageIsKept) {
    Pair p;
    auto efd = eventfd_create();
    ASSERT_TRUE(efd.has_value());
    auto b = le_bytes(7);
    send_raw(p.server.get(), b.data(), 1, {efd->get()});
    send_raw(p.server.get(), b.data() + 1, 7);
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->value, 7);
    ASSERT_TRUE(m->fd.valid());
    EXPECT_TRUE(same_file(m->fd.get(), efd->get()));
}

TEST(SocketMessage, SendFromOffsetCompletesAPartialMessage) {
    Pair p;
    auto b = le_bytes(-5);
    send_raw(p.server.get(), b.data(), 3);
    ASSERT_EQ(send_message_part(p.server.get(), -5, -1, 3).value(), 5u);
    EXPECT_EQ(receive_message(p.client.get(), milliseconds(1000)).value().value, -5);
}

TEST(SocketMessage, TryReceiveWaitsForAllEightBytes) {
    Pair p;
    auto b = le_bytes(99);
    auto none = try_receive_message(p.client.get());
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
    send_raw(p.server.get(), b.data(), 5);
    auto partial = try_receive_message(p.client.get());
    ASSERT_TRUE(partial.has_value());
    EXPECT_FALSE(partial->has_value());
    send_raw(p.server.get(), b.data() + 5, 3);
    auto full = try_receive_message(p.client.get());
    ASSERT_TRUE(full.has_value());
    ASSERT_TRUE(full->has_value());
    EXPECT_EQ((*full)->value, 99);
}

TEST(SocketMessage, TwoFdsOnOneMessageIsAProtocolErrorAndLeaksNothing) {
    Pair p;
    auto a = eventfd_create();
    auto b = eventfd_create();
    ASSERT_TRUE(a.has_value() && b.has_value());
    auto bytes = le_bytes(3);
    send_raw(p.server.get(), bytes.data(), 8, {a->get(), b->get()});
    const int before = open_fd_count();
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, EPROTO);
    EXPECT_NE(m.error().message.find("2 fds"), std::string::npos) << m.error().message;
    EXPECT_EQ(open_fd_count(), before);
}

TEST(SocketMessage, HangUpBeforeAnyByteIsConnectionReset) {
    Pair p;
    p.server.reset();
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, ECONNRESET);
}

TEST(SocketMessage, HangUpInTheMiddleOfAMessageIsConnectionReset) {
    Pair p;
    auto b = le_bytes(1);
    send_raw(p.server.get(), b.data(), 3);
    p.server.reset();
    auto m = receive_message(p.client.get(), milliseconds(1000));
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, ECONNRESET);
}

TEST(SocketMessage, TryReceiveReportsHangUp) {
    Pair p;
    p.server.reset();
    auto m = try_receive_message(p.client.get());
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, ECONNRESET);
}

// A server that dies in the middle of a message leaves 1..7 bytes that
// can never become a message: try_receive must say the connection is gone
// rather than "not yet" forever (a caller polling it would never learn).
TEST(SocketMessage, TryReceiveReportsHangUpWithAPartialMessagePending) {
    auto b = le_bytes(7);
    for (std::size_t pending = 1; pending < 8; ++pending) {
        Pair p;
        send_raw(p.server.get(), b.data(), pending);
        p.server.reset();
        auto m = try_receive_message(p.client.get());
        ASSERT_FALSE(m.has_value()) << pending << " bytes pending: the hang-up was not reported";
        EXPECT_EQ(m.error().sys, ECONNRESET) << pending << " bytes pending: " << m.error().message;
        EXPECT_NE(m.error().message.find(std::to_string(pending) + " of 8 bytes"), std::string::npos)
            << m.error().message;
    }
}

// The other half of a stream closed for writing (shutdown) is a hang-up too.
TEST(SocketMessage, TryReceiveReportsShutdownWithAPartialMessagePending) {
    Pair p;
    auto b = le_bytes(7);
    send_raw(p.server.get(), b.data(), 3);
    ASSERT_EQ(::shutdown(p.server.get(), SHUT_WR), 0);
    auto m = try_receive_message(p.client.get());
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, ECONNRESET) << m.error().message;
}

// A partial message on a live connection is still "not yet".
TEST(SocketMessage, TryReceiveWithAPartialMessageOnALiveConnectionWaits) {
    Pair p;
    auto b = le_bytes(7);
    send_raw(p.server.get(), b.data(), 7);
    auto m = try_receive_message(p.client.get());
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_FALSE(m->has_value());
}

TEST(SocketMessage, NothingArrivingTimesOut) {
    Pair p;
    const auto t0 = std::chrono::steady_clock::now();
    auto m = receive_message(p.client.get(), milliseconds(50));
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, ETIMEDOUT);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(45));
}

TEST(SocketMessage, SendToHungUpPeerIsEpipeNotSigpipe) {
    Pair p;
    p.client.reset();
    auto r = send_message_part(p.server.get(), 1, -1, 0);  // a SIGPIPE would kill the test
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().sys, EPIPE);
}

// --- listen / connect / accept / credentials --------------------------------
class SocketDir : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/memdomain-sock-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string dir_;
};

TEST_F(SocketDir, ConnectAcceptAndKernelCredentials) {
    auto l = listen_unix(path("a.sock"), 4);
    ASSERT_TRUE(l.has_value()) << l.error().message;
    auto c = connect_unix(path("a.sock"));
    ASSERT_TRUE(c.has_value()) << c.error().message;
    ASSERT_TRUE(wait_readable(l->get(), milliseconds(1000)).value());
    auto s = accept_unix(l->get());
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE(s->valid());
    auto cred = peer_credentials(s->get());
    ASSERT_TRUE(cred.has_value());
    EXPECT_EQ(cred->pid, ::getpid());
    EXPECT_EQ(cred->uid, ::getuid());
    EXPECT_EQ(cred->gid, ::getgid());
}

TEST_F(SocketDir, AcceptWithNothingPendingGivesNoFdAndNoError) {
    auto l = listen_unix(path("b.sock"), 4);
    ASSERT_TRUE(l.has_value());
    auto s = accept_unix(l->get());
    ASSERT_TRUE(s.has_value());
    EXPECT_FALSE(s->valid());
}

TEST_F(SocketDir, StaleSocketFileOfADeadServerIsReplaced) {
    { auto dead = listen_unix(path("c.sock"), 4); ASSERT_TRUE(dead.has_value()); }  // closed, file stays
    ASSERT_TRUE(std::filesystem::exists(path("c.sock")));
    auto l = listen_unix(path("c.sock"), 4);
    ASSERT_TRUE(l.has_value()) << l.error().message;
    EXPECT_TRUE(connect_unix(path("c.sock")).has_value());
}

TEST_F(SocketDir, LiveServerSocketIsNotTakenOver) {
    auto live = listen_unix(path("d.sock"), 4);
    ASSERT_TRUE(live.has_value());
    auto second = listen_unix(path("d.sock"), 4);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().sys, EADDRINUSE);
}

TEST_F(SocketDir, PathTooLongIsRefused) {
    auto l = listen_unix(path(std::string(120, 'x')), 4);
    ASSERT_FALSE(l.has_value());
    EXPECT_EQ(l.error().sys, ENAMETOOLONG);
}

TEST_F(SocketDir, ConnectToMissingSocketNamesThePath) {
    auto c = connect_unix(path("missing.sock"));
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().sys, ENOENT);
    EXPECT_NE(c.error().message.find("missing.sock"), std::string::npos);
}

}  // namespace
}  // namespace memdomain::sys
