// The memory wrappers against the real kernel: memfd + seals (a sealed
// segment can never be resized under its peers), read-only reopen (a R/O
// grant can never be mapped or mprotect'ed writable), mappings, hugepages.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::sys {
namespace {

UniqueFd sealed_memfd(std::uint64_t size) {
    auto fd = memfd_create("memdomain-test", 4 * KiB);
    EXPECT_TRUE(fd.has_value()) << fd.error().message;
    if (!fd) return UniqueFd();
    EXPECT_TRUE(ftruncate(fd->get(), size).has_value());
    EXPECT_TRUE(seal_size(fd->get()).has_value());
    return std::move(fd).value();
}

TEST(Memfd, SealAddsShrinkGrowAndSeal) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto seals = get_seals(fd.get());
    ASSERT_TRUE(seals.has_value());
    EXPECT_EQ(*seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    EXPECT_EQ(*seals & F_SEAL_WRITE, 0);  // peers must still be able to write
}

TEST(Memfd, FtruncateIsRefusedAfterSealing) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto shrink = ftruncate(fd.get(), 4 * KiB);
    ASSERT_FALSE(shrink.has_value());
    EXPECT_EQ(shrink.error().sys, EPERM);
    auto grow = ftruncate(fd.get(), 128 * KiB);
    ASSERT_FALSE(grow.has_value());
    EXPECT_EQ(grow.error().sys, EPERM);
    EXPECT_EQ(fd_size(fd.get()).value(), 64 * KiB);
}

TEST(Memfd, SealsCannotBeRemovedOrAdded) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), -1);
    EXPECT_EQ(errno, EPERM);
}

TEST(Memfd, UnsupportedPageSizeIsRefused) {
    auto fd = memfd_create("bad", 8 * KiB);
    ASSERT_FALSE(fd.has_value());
    EXPECT_EQ(fd.error().sys, EINVAL);
}

TEST(Memfd, IsCloseOnExec) {
    auto fd = memfd_create("cloexec", 4 * KiB);
    ASSERT_TRUE(fd.has_value());
    EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Mapping, TwoMappingsOfOneFdShareBytes) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto a = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    auto b = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(a.has_value() && b.has_value());
    std::memcpy(a->bytes() + 4096, "hello", 6);
    EXPECT_STREQ(reinterpret_cast<const char*>(b->bytes() + 4096), "hello");
}

TEST(Mapping, OffsetMapsThatPartOfTheFd) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto whole = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(whole.has_value());
    whole->bytes()[8 * KiB] = std::byte{0x5a};
    auto part = map_shared(fd.get(), 4 * KiB, Protection::ReadOnly, 8 * KiB);
    ASSERT_TRUE(part.has_value());
    EXPECT_EQ(part->bytes()[0], std::byte{0x5a});
}

TEST(Mapping, FixedAddressThatIsTakenIsRefused) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto first = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(first.has_value());
    auto second = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite, 0, first->data());
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().sys, EEXIST);
}

TEST(Mapping, MoveTransfersOwnershipAndResetUnmaps) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto m = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(m.has_value());
    void* addr = m->data();
    Mapping moved = std::move(m).value();
    EXPECT_EQ(moved.data(), addr);
    EXPECT_EQ(moved.size(), 64 * KiB);
    moved.reset();
    EXPECT_FALSE(moved.valid());
    // The range is free again: a fixed mapping there now succeeds.
    auto again = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite, 0, addr);
    EXPECT_TRUE(again.has_value()) << again.error().message;
}

TEST(Mapping, PrefaultKeepsContents) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto m = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(m.has_value());
    std::memset(m->data(), 0x77, 64 * KiB);
    ASSERT_TRUE(prefault(m->data(), 64 * KiB, 4 * KiB).has_value());
    for (std::size_t i = 0; i < 64 * KiB; i += 4 * KiB) EXPECT_EQ(m->bytes()[i], std::byte{0x77});
}

TEST(ReadOnlyReopen, CanBeMappedReadOnlyAndSeesWrites) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto rw = map_shared(fd.get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_TRUE(rw.has_value());
    auto ro_fd = reopen(fd.get(), O_RDONLY);
    ASSERT_TRUE(ro_fd.has_value()) << ro_fd.error().message;
    auto ro = map_shared(ro_fd->get(), 64 * KiB, Protection::ReadOnly);
    ASSERT_TRUE(ro.has_value()) << ro.error().message;
    std::memcpy(rw->bytes() + 100, "seen", 5);
    EXPECT_STREQ(reinterpret_cast<const char*>(ro->bytes() + 100), "seen");
}

TEST(ReadOnlyReopen, CannotBeMappedWritable) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto ro_fd = reopen(fd.get(), O_RDONLY);
    ASSERT_TRUE(ro_fd.has_value());
    auto m = map_shared(ro_fd->get(), 64 * KiB, Protection::ReadWrite);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().sys, EACCES);
}

TEST(ReadOnlyReopen, ReadOnlyMappingCannotBeMprotectedWritable) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto ro_fd = reopen(fd.get(), O_RDONLY);
    ASSERT_TRUE(ro_fd.has_value());
    auto m = map_shared(ro_fd->get(), 64 * KiB, Protection::ReadOnly);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(::mprotect(m->data(), 64 * KiB, PROT_READ | PROT_WRITE), -1);
    EXPECT_EQ(errno, EACCES);
}

TEST(ReadOnlyReopen, KeepsTheSeals) {
    UniqueFd fd = sealed_memfd(64 * KiB);
    ASSERT_TRUE(fd.valid());
    auto ro_fd = reopen(fd.get(), O_RDONLY);
    ASSERT_TRUE(ro_fd.has_value());
    auto seals = get_seals(ro_fd->get());
    ASSERT_TRUE(seals.has_value());
    EXPECT_NE(*seals & F_SEAL_GROW, 0);
}

TEST(ReadOnlyReopen, ClosedFdIsAnError) {
    auto r = reopen(-1, O_RDONLY);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("/proc/self/fd/-1"), std::string::npos);
}

TEST(HugepagePool, CountersOf2MPoolAreConsistent) {
    auto pool = hugepage_pool(2 * MiB);
    if (!pool) GTEST_SKIP() << "no 2 MiB hugepage support here: " << pool.error().message;
    EXPECT_EQ(pool->page_size, 2 * MiB);
    EXPECT_LE(pool->free, pool->total);
    EXPECT_LE(pool->available(), pool->free);
}

TEST(HugepagePool, UnknownPageSizeIsAnError) {
    EXPECT_FALSE(hugepage_pool(3 * MiB).has_value());
}

// Uses one real 2 MiB hugepage when the pool has a free one; the test does
// not change the pool (that is the machine owner's call).
TEST(HugetlbMemfd, TwoMegabyteSegmentSealsAndMaps) {
    auto pool = hugepage_pool(2 * MiB);
    if (!pool || pool->available() < 1)
        GTEST_SKIP() << "needs 1 free 2 MiB hugepage (echo 1 > /proc/sys/vm/nr_hugepages as root)";
    auto fd = memfd_create("memdomain-huge-test", 2 * MiB);
    ASSERT_TRUE(fd.has_value()) << fd.error().message;
    ASSERT_TRUE(ftruncate(fd->get(), 2 * MiB).has_value());
    ASSERT_TRUE(seal_size(fd->get()).has_value());
    auto m = map_shared(fd->get(), 2 * MiB, Protection::ReadWrite);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    ASSERT_TRUE(prefault(m->data(), 2 * MiB, 2 * MiB).has_value());
    m->bytes()[2 * MiB - 1] = std::byte{1};
    EXPECT_FALSE(ftruncate(fd->get(), 4 * MiB).has_value());
}

}  // namespace
}  // namespace memdomain::sys
