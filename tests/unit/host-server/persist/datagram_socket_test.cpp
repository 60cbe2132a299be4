// The datagram wrappers of common/sys/socket.h that the fd store rests on:
// text, fds and the sender's credentials across an AF_UNIX datagram socket.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"

using namespace memdomain;

namespace {

std::string abstract_name(const char* what) {
    return "@memdomain-test/" + std::string(what) + "/" + std::to_string(::getpid()) + "/" +
           std::to_string(std::random_device{}());
}

bool same_file(int a, int b) {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

}  // namespace

TEST(DatagramSocket, NothingQueuedIsNullopt) {
    auto s = sys::bind_datagram(abstract_name("empty"), true);
    ASSERT_TRUE(s) << s.error().message;
    auto d = sys::receive_datagram_with_fds(s->get());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->has_value());
}

TEST(DatagramSocket, AbstractNameCarriesTextFdsAndSenderPid) {
    const std::string name = abstract_name("fds");
    auto s = sys::bind_datagram(name, true);
    ASSERT_TRUE(s) << s.error().message;
    auto a = sys::memfd_create("a", 4096);
    auto b = sys::memfd_create("b", 4096);
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(sys::send_datagram_with_fds(name, "HELLO=1", {a->get(), b->get()}));
    auto d = sys::receive_datagram_with_fds(s->get());
    ASSERT_TRUE(d && d->has_value());
    const sys::Datagram& got = **d;
    EXPECT_EQ(got.text, "HELLO=1");
    ASSERT_EQ(got.fds.size(), 2u);
    EXPECT_TRUE(same_file(got.fds[0].get(), a->get()));
    EXPECT_TRUE(same_file(got.fds[1].get(), b->get()));
    EXPECT_NE(got.fds[0].get(), a->get()) << "the receiver holds duplicates";
    EXPECT_TRUE(::fcntl(got.fds[0].get(), F_GETFD) & FD_CLOEXEC) << "received close-on-exec";
    ASSERT_TRUE(got.sender.has_value());
    EXPECT_EQ(got.sender->pid, ::getpid());
    EXPECT_EQ(got.sender->uid, ::getuid());
}

TEST(DatagramSocket, WithoutPassCredentialsThereIsNoSender) {
    const std::string name = abstract_name("nocred");
    auto s = sys::bind_datagram(name, false);
    ASSERT_TRUE(s);
    ASSERT_TRUE(sys::send_datagram(name, "X=1"));
    auto d = sys::receive_datagram_with_fds(s->get());
    ASSERT_TRUE(d && d->has_value());
    EXPECT_EQ((*d)->text, "X=1");
    EXPECT_TRUE((*d)->fds.empty());
    EXPECT_FALSE((*d)->sender.has_value());
}

TEST(DatagramSocket, PathSocketWorksAndAnExistingFileIsNotReplaced) {
    const std::string dir = testing::TempDir() + "dgram" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/n.sock";
    std::filesystem::remove(path);
    {
        auto s = sys::bind_datagram(path, true);
        ASSERT_TRUE(s) << s.error().message;
        ASSERT_TRUE(sys::send_datagram(path, "PATH=1"));
        auto d = sys::receive_datagram_with_fds(s->get());
        ASSERT_TRUE(d && d->has_value());
        EXPECT_EQ((*d)->text, "PATH=1");
        auto again = sys::bind_datagram(path, true);
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().sys, EADDRINUSE);
    }
    std::filesystem::remove_all(dir);
}

TEST(DatagramSocket, TooLongDatagramIsDroppedWithEmsgsizeAndItsFdsClosed) {
    const std::string name = abstract_name("long");
    auto s = sys::bind_datagram(name, true);
    ASSERT_TRUE(s);
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    ASSERT_TRUE(sys::send_datagram_with_fds(name, std::string(sys::kMaxDatagramText + 1, 'x'), {p[1]}));
    ::close(p[1]);
    auto d = sys::receive_datagram_with_fds(s->get());
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EMSGSIZE);
    char c;
    EXPECT_EQ(::read(p[0], &c, 1), 0) << "the write end that came with it was closed: EOF";
    ::close(p[0]);
    ASSERT_TRUE(sys::send_datagram(name, std::string(sys::kMaxDatagramText, 'y')));
    auto ok = sys::receive_datagram_with_fds(s->get());
    ASSERT_TRUE(ok && ok->has_value()) << "the next datagram still comes through";
    EXPECT_EQ((*ok)->text.size(), sys::kMaxDatagramText);
}

TEST(DatagramSocket, SendingToNobodyIsAnError) {
    auto st = sys::send_datagram_with_fds(abstract_name("nobody"), "X=1", {});
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ECONNREFUSED) << st.error().message;
}

TEST(DatagramSocket, TooManyFdsAndBadAddressesAreRefused) {
    std::vector<int> many(254, 0);
    auto st = sys::send_datagram_with_fds(abstract_name("many"), "X=1", many);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, EINVAL);
    EXPECT_FALSE(sys::bind_datagram("", true));
    EXPECT_FALSE(sys::bind_datagram("@", true));
    EXPECT_FALSE(sys::bind_datagram("/" + std::string(200, 'a'), true));
}
