// Page classes against a real memdomaind: the talk's example (one numa
// domain with a 4K R/W segment and a 2M R/O segment) gives a client both
// segments of one instance with their page sizes and access, the R/O one
// mapped so that a write faults; a 1G segment on a machine without 1 GiB
// pages is refused up front, naming the pool, by --check-config and at
// start-up.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

// config/examples/talk.conf, with small sizes.
const std::string kTalk = R"(
memdomain MainMem {
    type = numa
    cpualias = "all"
    policy = static
    size {
        huge 4K = 1MB R/W
        huge 2M = 2MB R/O
    }
}
)";

TEST(PageClasses, TalkExampleGivesTwoSegmentsOfOneInstanceWithTheirPagesAndAccess) {
    if (auto why = pool_short_reason(1); !why.empty()) GTEST_SKIP() << why;
    Server server(kTalk);
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto d = Domain::open("MainMem", socket_options(server));
    ASSERT_TRUE(d) << d.error().message;
    const auto& segs = d->segments();
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].page_size, 4 * KiB);
    EXPECT_EQ(segs[0].size, 1 * MiB);
    EXPECT_EQ(segs[0].access, Access::ReadWrite);
    EXPECT_EQ(segs[1].page_size, 2 * MiB);
    EXPECT_EQ(segs[1].size, 2 * MiB);
    EXPECT_EQ(segs[1].access, Access::ReadOnly);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(segs[1].base) % (2 * MiB), 0u);
    // One instance: both headers carry the same generation, the domain's.
    auto h0 = validate_segment_header(segs[0].base, segs[0].size);
    auto h1 = validate_segment_header(segs[1].base, segs[1].size);
    ASSERT_TRUE(h0) << h0.error().message;
    ASSERT_TRUE(h1) << h1.error().message;
    EXPECT_EQ(h0->generation, h1->generation);
    EXPECT_EQ(h0->generation, d->generation());
    EXPECT_EQ(h1->segment_index, 1u);
    EXPECT_EQ(h1->segment_count, 2u);
    EXPECT_EQ(h1->numa_node, h0->numa_node);
    // The server agrees: one instance whose two segments we are attached to.
    auto inst = instances(server, "MainMem");
    ASSERT_EQ(inst.size(), 1u) << inst.dump(2);
    EXPECT_EQ(inst[0].at("generation").get<std::uint64_t>(), d->generation());
    EXPECT_EQ(inst[0].at("segments").size(), 2u);
    EXPECT_EQ(inst[0].at("segments")[1].at("peers").size(), 1u);

    // Writes: the R/W segment takes them, the R/O one faults.
    std::byte* rw = segs[0].data;
    std::byte* ro = segs[1].data;
    EXPECT_EXIT(
        {
            *reinterpret_cast<volatile char*>(rw) = 1;
            std::_Exit(0);
        },
        ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(
        {
            ::signal(SIGSEGV, SIG_DFL);  // a sanitizer's handler would turn the fault into an exit
            *reinterpret_cast<volatile char*>(ro) = 1;
            std::_Exit(0);
        },
        ::testing::KilledBySignal(SIGSEGV), "");
    // ... and reading it is fine.
    EXPECT_EQ(*reinterpret_cast<volatile char*>(ro), 0);
}

const std::string kOneGig = R"(
memdomain Giant {
    size {
        huge 1G = 1GB R/W
    }
}
)";

std::string one_gig_pool_present() {
    auto p = sys::hugepage_pool(1 * GiB);
    if (p && p->available() > 0)
        return "this machine has " + std::to_string(p->available()) + " free 1 GiB hugepages: nothing to refuse";
    return "";
}

// The refusal names the domain and the 1 GiB pool (its sysfs knob, or that
// the kernel has no such pool).
void expect_names_the_pool(const std::string& out) {
    EXPECT_NE(out.find("Giant"), std::string::npos) << out;
    EXPECT_TRUE(out.find("hugepages-1048576kB") != std::string::npos || out.find("no such pool") != std::string::npos)
        << out;
    EXPECT_NE(out.find("1G"), std::string::npos) << out;
}

TEST(PageClasses, OneGigabyteSegmentWithoutPoolIsRefusedByCheckConfig) {
    if (auto why = one_gig_pool_present(); !why.empty()) GTEST_SKIP() << why;
    TempDir dir;
    const std::string conf = dir.file("giant.conf");
    std::ofstream(conf) << kOneGig;
    auto r = run_memdomaind({"--config", conf, "--check-config"}, std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
    EXPECT_NE(WEXITSTATUS(r.status), 0) << r.output;
    expect_names_the_pool(r.output);
    EXPECT_NE(r.output.find(conf + ":4:9:"), std::string::npos) << "FILE:LINE:COL of the segment: " << r.output;
}

TEST(PageClasses, OneGigabyteSegmentWithoutPoolIsRefusedAtStartUpCreatingNothing) {
    if (auto why = one_gig_pool_present(); !why.empty()) GTEST_SKIP() << why;
    Server server(kOneGig);
    EXPECT_FALSE(server.ok());
    expect_names_the_pool(server.log());
    EXPECT_FALSE(std::filesystem::exists(server.socket("Giant")));
}

// A dynamic domain takes no page at start-up, so start-up does not check
// its pool; its first attach must then fail cleanly: the client is refused,
// the log names the pool, and the server keeps serving with no instance
// half made.
TEST(PageClasses, DynamicOneGigabyteSegmentWithoutPoolRefusesTheAttachNotTheServer) {
    if (auto why = one_gig_pool_present(); !why.empty()) GTEST_SKIP() << why;
    Server server(R"(
memdomain GiantLater {
    policy = dynamic
    size {
        huge 1G = 1GB R/W
    }
}
memdomain Small {
    size {
        huge 4K = 64K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    OpenOptions o = socket_options(server);
    o.timeout = std::chrono::milliseconds(2000);
    auto d = Domain::open("GiantLater", o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EACCES) << d.error().message;
    EXPECT_TRUE(eventually([&] { return server.log().find("1G hugepage pool") != std::string::npos; }))
        << server.log();
    EXPECT_TRUE(instances(server, "GiantLater").empty());
    auto small = Domain::open("Small", socket_options(server));
    EXPECT_TRUE(small) << small.error().message;
}

}  // namespace
}  // namespace memdomain::test
