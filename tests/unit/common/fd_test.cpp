// UniqueFd closes exactly once and moves ownership.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include "memdomain/sys/fd.h"

namespace memdomain::sys {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int new_fd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFd, ClosesOnDestruction) {
    int raw = new_fd();
    ASSERT_GE(raw, 0);
    { UniqueFd fd(raw); EXPECT_TRUE(is_open(raw)); }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
    int raw = new_fd();
    { UniqueFd fd(raw); EXPECT_EQ(fd.release(), raw); EXPECT_FALSE(fd.valid()); }
    EXPECT_TRUE(is_open(raw));
    ::close(raw);
}

TEST(UniqueFd, MoveLeavesSourceEmptyAndClosesOnce) {
    int raw = new_fd();
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    c.reset();
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, ResetClosesTheOldFd) {
    int first = new_fd(), second = new_fd();
    UniqueFd fd(first);
    fd.reset(second);
    EXPECT_FALSE(is_open(first));
    EXPECT_TRUE(is_open(second));
}

}  // namespace
}  // namespace memdomain::sys
