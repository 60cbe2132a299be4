// Physical frames and contiguity: a real 2M hugepage (as root), a page not
// faulted yet, and fake pagemap files for every verdict and error.
#include "placement/physical_memory.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "fake_files.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

using namespace memdomain;
using namespace memdomain::placement;
using memdomain::placement::fakes::TempDir;

namespace {

constexpr std::uint64_t kFakeBase = 0x40000000;  // a fake, 2M-aligned virtual address
const void* fake_addr(std::uint64_t v) { return reinterpret_cast<const void*>(static_cast<std::uintptr_t>(v)); }
std::uint64_t present(std::uint64_t pfn) { return kPagemapPresent | pfn; }

struct FakePagemap {
    TempDir dir;
    std::string path = dir.path() + "/pagemap";
};

}  // namespace

TEST(PhysicalFrames, ReadsOneFramePerPageFromFakePagemap) {
    FakePagemap pm;
    fakes::write_fake_pagemap(pm.path, {{kFakeBase, present(0x1000)},
                                        {kFakeBase + 2 * MiB, present(0x1200)},
                                        {kFakeBase + 4 * MiB, present(0x1400)}});
    auto f = physical_frames(fake_addr(kFakeBase), 6 * MiB, 2 * MiB, pm.path);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(*f, (std::vector<std::uint64_t>{0x1000, 0x1200, 0x1400}));
    auto st = check_contiguous(*f, 2 * MiB);
    EXPECT_TRUE(st) << st.error().message;
}

TEST(PhysicalFrames, DiscontinuityIsNamedInTheError) {
    FakePagemap pm;
    fakes::write_fake_pagemap(pm.path, {{kFakeBase, present(0x1000)},
                                        {kFakeBase + 2 * MiB, present(0x1200)},
                                        {kFakeBase + 4 * MiB, present(0x5000)}});
    auto f = physical_frames(fake_addr(kFakeBase), 6 * MiB, 2 * MiB, pm.path);
    ASSERT_TRUE(f) << f.error().message;
    auto st = check_contiguous(*f, 2 * MiB);
    ASSERT_FALSE(st);
    const auto& msg = st.error().message;
    EXPECT_NE(msg.find("not physically contiguous"), std::string::npos) << msg;
    EXPECT_NE(msg.find("page 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0x5000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0x1200"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected PFN 0x1400"), std::string::npos) << msg;
}

TEST(PhysicalFrames, FourKPagesStepByOneFrame) {
    EXPECT_TRUE(check_contiguous({7, 8, 9, 10}, 4096));
    auto st = check_contiguous({7, 8, 10}, 4096);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("page 2"), std::string::npos) << st.error().message;
    EXPECT_TRUE(check_contiguous({}, 4096));
    EXPECT_TRUE(check_contiguous({42}, 2 * MiB));
    EXPECT_FALSE(check_contiguous({1, 2}, 0));
}

TEST(PhysicalFrames, NotPresentPageSaysPrefaultFirst) {
    FakePagemap pm;
    fakes::write_fake_pagemap(pm.path, {{kFakeBase, present(0x1000)}, {kFakeBase + 2 * MiB, 0x1200}});
    auto f = physical_frames(fake_addr(kFakeBase), 4 * MiB, 2 * MiB, pm.path);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().sys, ENOENT);
    EXPECT_NE(f.error().message.find("page 1"), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("prefault first"), std::string::npos) << f.error().message;
}

TEST(PhysicalFrames, ZeroPfnOfPresentPageIsEperm) {
    FakePagemap pm;
    fakes::write_fake_pagemap(pm.path, {{kFakeBase, present(0)}});
    auto f = physical_frames(fake_addr(kFakeBase), 2 * MiB, 2 * MiB, pm.path);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().sys, EPERM);
    EXPECT_NE(f.error().message.find("CAP_SYS_ADMIN"), std::string::npos) << f.error().message;
}

TEST(PhysicalFrames, ShortFileAndMissingFileAreErrors) {
    FakePagemap pm;
    fakes::write_fake_pagemap(pm.path, {{kFakeBase, present(0x1000)}});
    auto f = physical_frames(fake_addr(kFakeBase), 4 * MiB, 2 * MiB, pm.path);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().sys, EIO);
    auto g = physical_frames(fake_addr(kFakeBase), 2 * MiB, 2 * MiB, pm.dir.path() + "/absent");
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().sys, ENOENT);
    EXPECT_NE(g.error().message.find("absent"), std::string::npos) << g.error().message;
}

TEST(PhysicalFrames, RealPageNotFaultedYetSaysPrefaultFirst) {
    auto fd = sys::memfd_create("placement-phys", 4096);
    ASSERT_TRUE(fd) << fd.error().message;
    ASSERT_TRUE(sys::ftruncate(fd->get(), 4096));
    auto map = sys::map_shared(fd->get(), 4096, sys::Protection::ReadWrite);
    ASSERT_TRUE(map) << map.error().message;
    auto f = physical_frames(map->data(), 4096, 4096);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().sys, ENOENT);
    EXPECT_NE(f.error().message.find("prefault first"), std::string::npos) << f.error().message;
}

TEST(PhysicalFrames, RealHugepageIsContiguous) {
    if (::geteuid() != 0) GTEST_SKIP() << "physical frame numbers are shown only to root (CAP_SYS_ADMIN)";
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool || pool->available() < 1) GTEST_SKIP() << "no free 2M hugepage in the pool";
    auto fd = sys::memfd_create("placement-phys", 2 * MiB);
    ASSERT_TRUE(fd) << fd.error().message;
    ASSERT_TRUE(sys::ftruncate(fd->get(), 2 * MiB));
    auto map = sys::map_shared(fd->get(), 2 * MiB, sys::Protection::ReadWrite);
    ASSERT_TRUE(map) << map.error().message;
    static_cast<volatile char*>(map->data())[0] = 1;

    auto huge = physical_frames(map->data(), 2 * MiB, 2 * MiB);
    ASSERT_TRUE(huge) << huge.error().message;
    ASSERT_EQ(huge->size(), 1u);
    EXPECT_NE((*huge)[0], 0u);
    EXPECT_EQ((*huge)[0] % 512, 0u) << "a 2M hugepage starts on a 2M-aligned frame";
    auto st = check_contiguous(*huge, 2 * MiB);
    EXPECT_TRUE(st) << st.error().message;

    // Seen 4 KiB at a time, the hugepage's 512 frames follow each other.
    auto small = physical_frames(map->data(), 2 * MiB, 4096);
    ASSERT_TRUE(small) << small.error().message;
    ASSERT_EQ(small->size(), 512u);
    EXPECT_EQ(small->front(), (*huge)[0]);
    st = check_contiguous(*small, 4096);
    EXPECT_TRUE(st) << st.error().message;
}
