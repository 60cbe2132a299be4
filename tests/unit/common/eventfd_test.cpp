// Doorbells are eventfds: ringing adds one, draining reads and resets.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::sys {
namespace {

TEST(Eventfd, IsNonBlockingAndCloseOnExec) {
    auto fd = eventfd_create();
    ASSERT_TRUE(fd.has_value());
    EXPECT_NE(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Eventfd, DrainOfUnrungIsZero) {
    auto fd = eventfd_create();
    ASSERT_TRUE(fd.has_value());
    EXPECT_EQ(eventfd_drain(fd->get()).value(), 0u);
}

TEST(Eventfd, RingsAccumulateAndDrainResets) {
    auto fd = eventfd_create();
    ASSERT_TRUE(fd.has_value());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(eventfd_ring(fd->get()).has_value());
    EXPECT_EQ(eventfd_drain(fd->get()).value(), 3u);
    EXPECT_EQ(eventfd_drain(fd->get()).value(), 0u);
}

TEST(Eventfd, RingMakesItReadable) {
    auto fd = eventfd_create();
    ASSERT_TRUE(fd.has_value());
    EXPECT_FALSE(wait_readable(fd->get(), std::chrono::milliseconds(0)).value());
    ASSERT_TRUE(eventfd_ring(fd->get()).has_value());
    EXPECT_TRUE(wait_readable(fd->get(), std::chrono::milliseconds(1000)).value());
}

TEST(Eventfd, RingOnSaturatedCounterIsNotAnError) {
    auto fd = eventfd_create();
    ASSERT_TRUE(fd.has_value());
    const std::uint64_t almost_full = 0xfffffffffffffffeULL;
    ASSERT_EQ(::write(fd->get(), &almost_full, 8), 8);
    EXPECT_TRUE(eventfd_ring(fd->get()).has_value());
    EXPECT_EQ(eventfd_drain(fd->get()).value(), almost_full);
}

TEST(Eventfd, RingOfClosedFdIsAnError) {
    auto r = eventfd_ring(-1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().sys, EBADF);
}

TEST(Eventfd, DrainOfNonEventfdIsAnError) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    ASSERT_EQ(::write(p[1], "x", 1), 1);  // a 1-byte read of an 8-byte value is not a count
    auto r = eventfd_drain(p[0]);
    EXPECT_FALSE(r.has_value());
    ::close(p[0]);
    ::close(p[1]);
}

}  // namespace
}  // namespace memdomain::sys
