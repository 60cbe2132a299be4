// Attaching is an mmap of the server's fd, nothing more: no zeroing, no page
// walk. Data written by one peer survives its detach and is there for the
// next attach; attaching to a large dynamic domain faults none of its data
// pages (the server's resident count stays at the header area until a peer
// writes).
#include <gtest/gtest.h>

#include "memdomain/common/sizes.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

TEST(NoZeroing, StaticDataSurvivesDetachAndANewAttachByAnotherProcess) {
    Server server(R"(
memdomain Keep {
    policy = static
    size {
        huge 4K = 256K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    std::string gen;
    {
        AgentClient a(server.socket_dir() + "/a.log");
        gen = a.fields("open Keep " + server.socket_dir())["gen"];
        a.ok("fill 0 119");
        a.ok("seg_write 0 4096 left-behind");
        a.ok("close");
        a.ok("quit");
        ASSERT_TRUE(a.process().wait(std::chrono::seconds(2)).has_value());
    }
    ASSERT_TRUE(eventually([&] { return instances(server, "Keep")[0].at("peers") == 0; }));
    AgentClient b(server.socket_dir() + "/b.log");
    EXPECT_EQ(b.fields("open Keep " + server.socket_dir())["gen"], gen);
    EXPECT_EQ(b.ok("seg_read 0 4096 11"), "left-behind");
    b.ok("seg_write 0 4096 wwwwwwwwwww");  // put back what fill wrote
    EXPECT_EQ(b.ok("check 0 119"), "same");
}

// One size, both page classes: 4K (shmem) and 2M (hugetlb, where the header
// area is one whole 2M page).
struct Case {
    const char* page;
    std::uint64_t page_size;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.page; }

class NoZeroingDynamic : public ::testing::TestWithParam<Case> {};

TEST_P(NoZeroingDynamic, AttachingTo64MegabyteDomainFaultsNoDataPage) {
    const Case c = GetParam();
    constexpr std::uint64_t kSize = 64 * MiB;
    if (c.page_size > 4 * KiB)
        if (auto why = pool_short_reason(kSize / c.page_size); !why.empty()) GTEST_SKIP() << why;
    Server server(std::string(R"(
memdomain Big {
    policy = dynamic
    grace = 0s
    size {
        huge )") + c.page + R"( = 64MB R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    a.ok("open Big " + server.socket_dir());
    auto seg = a.fields("seg 0");
    const std::uint64_t data_off = std::stoull(seg["data_off"]);
    ASSERT_GT(data_off, 0u);
    // The header area: header + mailbox, in whole pages of the segment.
    const std::uint64_t header_area = (data_off + c.page_size - 1) / c.page_size * c.page_size;
    auto inst = instances(server, "Big");
    ASSERT_EQ(inst.size(), 1u);
    const std::uint64_t resident = inst[0].at("resident").get<std::uint64_t>();
    EXPECT_LE(resident, header_area) << "attach faulted data pages";
    EXPECT_GT(resident, 0u) << "the header was written";

    // Writes fault exactly the pages written: one byte in each of 8 pages
    // from the start of the data area (the first may be the header area's
    // page, already resident).
    constexpr std::uint64_t kTouched = 8;
    a.ok("touch 0 " + std::to_string(kTouched) + " " + std::to_string(c.page_size));
    std::uint64_t expected = resident;
    for (std::uint64_t p = 0; p < kTouched; ++p)
        if ((data_off / c.page_size + p) * c.page_size >= resident) expected += c.page_size;
    EXPECT_TRUE(eventually([&] { return instances(server, "Big")[0].at("resident") == expected; }))
        << instances(server, "Big").dump(2) << " (expected resident " << expected << ")";
}

INSTANTIATE_TEST_SUITE_P(Pages, NoZeroingDynamic,
                         ::testing::Values(Case{"4K", 4 * KiB}, Case{"2M", 2 * MiB}),
                         [](const auto& info) { return std::string("Page") + info.param.page; });

}  // namespace
}  // namespace memdomain::test
