// take_inherited_fds: the LISTEN_* environment read the way
// sd_listen_fds_with_names(3) reads it. The explicit-values variant is given
// fds placed at a high number instead of 3, so the test process's own fds
// are never adopted; the environment variant runs in a forked child that
// owns its fd 3 and 4.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "memdomain/sys/memory.h"
#include "persist/inherited_fds.h"

using namespace memdomain;
using persist::ListenEnvironment;
using persist::take_inherited_fds;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }
bool is_cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// `count` memfds at first, first+1, ... (not close-on-exec, as a service
// manager passes them); closed again by the destructor unless adopted.
struct PlacedFds {
    int first;
    int count;
    PlacedFds(int first_fd, int n) : first(first_fd), count(n) {
        for (int i = 0; i < n; ++i) {
            auto m = sys::memfd_create("inherited" + std::to_string(i), 4096);
            if (!m || is_open(first + i)) std::abort();  // the test's own numbers must be free
            ::dup2(m->get(), first + i);
        }
    }
    ~PlacedFds() {
        for (int i = 0; i < count; ++i) ::close(first + i);
    }
};

constexpr int kFirst = 700;

}  // namespace

TEST(InheritedFds, NamesAndFdsAreTakenAndMadeCloseOnExec) {
    PlacedFds placed(kFirst, 2);
    ASSERT_FALSE(is_cloexec(kFirst));
    {
        auto r = take_inherited_fds(ListenEnvironment{std::to_string(::getpid()), "2", "MainMem@0:Other"},
                                    ::getpid(), kFirst);
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(r->size(), 2u);
        EXPECT_EQ((*r)[0].name, "MainMem@0");
        EXPECT_EQ((*r)[0].fd.get(), kFirst);
        EXPECT_EQ((*r)[1].name, "Other");
        EXPECT_EQ((*r)[1].fd.get(), kFirst + 1);
        EXPECT_TRUE(is_cloexec(kFirst));
        EXPECT_TRUE(is_cloexec(kFirst + 1));
    }
    EXPECT_FALSE(is_open(kFirst)) << "the result owned the fds";
    EXPECT_FALSE(is_open(kFirst + 1));
}

TEST(InheritedFds, WithoutNamesEveryFdIsUnknown) {
    PlacedFds placed(kFirst, 2);
    auto r = take_inherited_fds(ListenEnvironment{std::to_string(::getpid()), "2", std::nullopt}, ::getpid(), kFirst);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].name, "unknown");
    EXPECT_EQ((*r)[1].name, "unknown");
}

TEST(InheritedFds, NothingSetMeansNothingInherited) {
    auto r = take_inherited_fds(ListenEnvironment{}, ::getpid(), kFirst);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
    auto zero = take_inherited_fds(ListenEnvironment{std::to_string(::getpid()), "0", ""}, ::getpid(), kFirst);
    ASSERT_TRUE(zero) << zero.error().message;
    EXPECT_TRUE(zero->empty());
}

TEST(InheritedFds, AnotherProcessesFdsAreIgnoredAndLeftAlone) {
    PlacedFds placed(kFirst, 1);
    auto r = take_inherited_fds(ListenEnvironment{std::to_string(::getppid()), "1", "x"}, ::getpid(), kFirst);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->empty());
    EXPECT_TRUE(is_open(kFirst));
    EXPECT_FALSE(is_cloexec(kFirst));
}

TEST(InheritedFds, NameCountMismatchIsAnErrorAndLeavesFdsAlone) {
    PlacedFds placed(kFirst, 2);
    for (const char* names : {"a", "a:b:c", ""}) {
        auto r = take_inherited_fds(ListenEnvironment{std::to_string(::getpid()), "2", names}, ::getpid(), kFirst);
        ASSERT_FALSE(r) << names;
        EXPECT_EQ(r.error().sys, EINVAL);
        EXPECT_NE(r.error().message.find("LISTEN_FDNAMES"), std::string::npos) << r.error().message;
        EXPECT_TRUE(is_open(kFirst));
        EXPECT_TRUE(is_open(kFirst + 1));
        EXPECT_FALSE(is_cloexec(kFirst));
    }
}

TEST(InheritedFds, GarbageNumbersAreErrors) {
    const std::string self = std::to_string(::getpid());
    struct Case {
        const char* pid;
        const char* fds;
        const char* mentions;
    };
    const std::string self_x = self + "x";
    for (Case c : {Case{"", "1", "LISTEN_PID"}, Case{self_x.c_str(), "1", "LISTEN_PID"}, Case{"-5", "1", "LISTEN_PID"},
                   Case{self.c_str(), "abc", "LISTEN_FDS"}, Case{self.c_str(), "-1", "LISTEN_FDS"},
                   Case{self.c_str(), "1 ", "LISTEN_FDS"}, Case{self.c_str(), "99999999999", "LISTEN_FDS"}}) {
        auto r = take_inherited_fds(ListenEnvironment{c.pid, c.fds, std::nullopt}, ::getpid(), kFirst);
        ASSERT_FALSE(r) << c.pid << " " << c.fds;
        EXPECT_EQ(r.error().sys, EINVAL);
        EXPECT_NE(r.error().message.find(c.mentions), std::string::npos) << r.error().message;
    }
}

TEST(InheritedFds, AnFdThatIsNotOpenIsAnErrorAndNoneIsAdopted) {
    PlacedFds placed(kFirst, 1);  // kFirst+1 is not open
    auto r = take_inherited_fds(ListenEnvironment{std::to_string(::getpid()), "2", "a:b"}, ::getpid(), kFirst);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, EBADF);
    EXPECT_TRUE(is_open(kFirst));
    EXPECT_FALSE(is_cloexec(kFirst));
}

// The real thing: fds 3 and 4 and the environment, in a child of our own.
TEST(InheritedFds, FromEnvironmentTakesFdsThreeOnAndUnsetsTheVariables) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        auto a = sys::memfd_create("a", 4096);
        auto b = sys::memfd_create("b", 4096);
        if (!a || !b || ::dup2(a->get(), 3) != 3 || ::dup2(b->get(), 4) != 4) _exit(10);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        ::setenv("LISTEN_FDS", "2", 1);
        ::setenv("LISTEN_FDNAMES", "first:second", 1);
        auto r = take_inherited_fds();
        if (!r) _exit(11);
        if (r->size() != 2 || (*r)[0].name != "first" || (*r)[1].name != "second") _exit(12);
        if ((*r)[0].fd.get() != 3 || (*r)[1].fd.get() != 4 || !is_cloexec(3) || !is_cloexec(4)) _exit(13);
        if (std::getenv("LISTEN_PID") || std::getenv("LISTEN_FDS") || std::getenv("LISTEN_FDNAMES")) _exit(14);
        _exit(0);
    }
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0) << "10: setup, 11: error, 12: names, 13: fds, 14: environment left set";
}

TEST(InheritedFds, FromEnvironmentOfAnotherPidTakesNothingAndUnsetsTheVariables) {
    ::setenv("LISTEN_PID", std::to_string(::getppid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_FDNAMES", "x", 1);
    const bool fd3_open = is_open(3);
    auto r = take_inherited_fds();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->empty());
    EXPECT_EQ(is_open(3), fd3_open);
    EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
    EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);
}
