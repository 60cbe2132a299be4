// contiguous = yes against a real memdomaind running as root (the server
// and the peer read physical frame numbers from /proc/<pid>/pagemap, which
// shows them only to CAP_SYS_ADMIN). A peer checks, through its own
// mapping, what the server promised: the frames are contiguous.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "placement/physical_memory.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

// The frames of a segment seen through our mapping, one per 4 KiB: every
// page is touched first (pagemap reports only present pages).
Result<std::vector<std::uint64_t>> frames_4k(const SegmentView& s) {
    volatile std::byte sink{};
    for (std::size_t off = 0; off < s.size; off += 4 * KiB) sink = s.base[off];
    (void)sink;
    return placement::physical_frames(s.base, s.size, 4 * KiB);
}

std::string not_root() { return ::geteuid() == 0 ? "" : "contiguous = yes needs the server to run as root"; }

TEST(Contiguous, SingleTwoMegabytePageDomainIsContiguousInThePeersPagemap) {
    if (auto why = not_root(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = pool_short_reason(1); !why.empty()) GTEST_SKIP() << why;
    Server server(R"(
memdomain Dma2M {
    contiguous = yes
    size {
        huge 2M = 2MB R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    EXPECT_EQ(show(server, "Dma2M").at("contiguous"), true);
    auto d = Domain::open("Dma2M", socket_options(server));
    ASSERT_TRUE(d) << d.error().message;
    const SegmentView& s = d->segments()[0];
    EXPECT_NE(s.instance_flags & kInstanceContiguous, 0u);
    auto frames = frames_4k(s);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 512u);
    auto st = placement::check_contiguous(*frames, 4 * KiB);
    EXPECT_TRUE(st) << st.error().message;
}

TEST(Contiguous, FourKilobytePagesAreRefusedOrTrulyContiguous) {
    if (auto why = not_root(); !why.empty()) GTEST_SKIP() << why;
    Server server(R"(
memdomain Dma4K {
    contiguous = yes
    size {
        huge 4K = 256K R/W
    }
}
)");
    if (!server.ok()) {
        // The usual outcome: 64 shmem pages are scattered.
        const std::string log = server.log();
        EXPECT_NE(log.find("not physically contiguous"), std::string::npos) << log;
        EXPECT_NE(log.find("Dma4K"), std::string::npos) << log;
        EXPECT_FALSE(std::filesystem::exists(server.socket("Dma4K")));
        RecordProperty("outcome", "refused");
        return;
    }
    // The rare outcome: the kernel happened to hand out 64 adjacent frames.
    // Then a peer must see exactly that.
    RecordProperty("outcome", "accepted");
    auto d = Domain::open("Dma4K", socket_options(server));
    ASSERT_TRUE(d) << d.error().message;
    auto frames = frames_4k(d->segments()[0]);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 64u);
    auto st = placement::check_contiguous(*frames, 4 * KiB);
    EXPECT_TRUE(st) << "the server accepted contiguous = yes, but: " << st.error().message;
}

}  // namespace
}  // namespace memdomain::test
