// Page classes against a real memdomaind: the talk's example (one numa
// domain with a 4K R/W segment and a 2M R/O segment) gives a client both
// segments of one instance with their page sizes and access, the R/O one
// mapped so that a write faults; a 1G segment the pool cannot hold is
// refused up front, naming the pool and why (no such page size in this
// kernel, or a short pool), by --check-config, at start-up and on a dynamic
// attach; and where the kernel has a 1G pool, a 1G domain is served.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <optional>

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

// The 1 GiB pool as the kernel offers it: absent (no hstate of that size:
// no hugepages-1048576kB directory at all), or present with some pages.
// Both kinds of machine run every test below: a refusal needs more pages
// than the pool has (a 1 GiB domain where there is no pool, otherwise the
// next power of two above what is free), and serving needs a pool with a
// free page, which scripts/setup-host.sh reserves wherever the kernel has one.
std::optional<sys::HugepagePool> one_gig_pool() {
    auto p = sys::hugepage_pool(1 * GiB);
    if (!p) return std::nullopt;
    return *p;
}

std::uint64_t refused_one_gig_size() {
    auto p = one_gig_pool();
    std::uint64_t pages = 1;
    if (p)
        while (pages <= p->available()) pages *= 2;
    return pages * GiB;
}

std::string one_gig_domain(const std::string& name, const std::string& policy, std::uint64_t size) {
    return "memdomain " + name + " {\n    policy = " + policy + "\n    size {\n        huge 1G = " +
           std::to_string(size / GiB) + "G R/W\n    }\n}\n";
}

// The refusal names the domain and the 1 GiB pool, and says which of the two
// situations it is: the kernel has no 1G pages at all, or the pool is short
// (with the sysfs knob to raise).
void expect_names_the_pool(const std::string& out, const std::string& domain) {
    EXPECT_NE(out.find(domain), std::string::npos) << out;
    EXPECT_NE(out.find("the 1G hugepage pool"), std::string::npos) << out;
    if (one_gig_pool()) {
        EXPECT_NE(out.find("pool is short"), std::string::npos) << out;
        EXPECT_NE(out.find("hugepages-1048576kB/nr_hugepages"), std::string::npos) << out;
    } else {
        EXPECT_NE(out.find("this kernel has no 1G hugepages"), std::string::npos) << out;
        EXPECT_NE(out.find("hugepages-1048576kB"), std::string::npos) << out;
    }
}

TEST(PageClasses, OneGigabyteSegmentBeyondThePoolIsRefusedByCheckConfig) {
    TempDir dir;
    const std::string conf = dir.file("giant.conf");
    std::ofstream(conf) << one_gig_domain("Giant", "static", refused_one_gig_size());
    auto r = run_memdomaind({"--config", conf, "--check-config"}, std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
    EXPECT_NE(WEXITSTATUS(r.status), 0) << r.output;
    expect_names_the_pool(r.output, "Giant");
    EXPECT_NE(r.output.find(conf + ":4:9:"), std::string::npos) << "FILE:LINE:COL of the segment: " << r.output;
}

TEST(PageClasses, OneGigabyteSegmentBeyondThePoolIsRefusedAtStartUpCreatingNothing) {
    Server server(one_gig_domain("Giant", "static", refused_one_gig_size()));
    EXPECT_FALSE(server.ok());
    expect_names_the_pool(server.log(), "Giant");
    EXPECT_FALSE(std::filesystem::exists(server.socket("Giant")));
}

// A dynamic domain takes no page at start-up, so start-up does not check
// its pool; its first attach must then fail cleanly: the client is refused,
// the log names the pool and why, and the server keeps serving with no
// instance half made.
TEST(PageClasses, DynamicOneGigabyteSegmentBeyondThePoolRefusesTheAttachNotTheServer) {
    Server server(one_gig_domain("GiantLater", "dynamic", refused_one_gig_size()) + R"(
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
    EXPECT_TRUE(eventually([&] { return server.log().find("the 1G hugepage pool") != std::string::npos; }))
        << server.log();
    expect_names_the_pool(server.log(), "GiantLater");
    EXPECT_TRUE(instances(server, "GiantLater").empty());
    auto small = Domain::open("Small", socket_options(server));
    EXPECT_TRUE(small) << small.error().message;
}

// Where the kernel has a 1 GiB pool, 1G serving is tested for real: one
// page, prefaulted by the server, attached by a client that sees 1 GiB
// pages and writes both ends of the data area. Only a kernel without the
// page size skips (hardware this machine lacks); a pool that exists but has
// no free page is a failure: setup-host.sh reserves one.
TEST(PageClasses, OneGigabyteSegmentIsServedWhereTheKernelHasThePool) {
    auto p = one_gig_pool();
    if (!p)
        GTEST_SKIP() << "[hardware] this kernel has no 1G hugepages (no "
                        "/sys/kernel/mm/hugepages/hugepages-1048576kB): nothing to serve 1G pages from";
    ASSERT_GE(p->available(), 1u) << "the 1G pool exists but has no free page: run scripts/setup-host.sh";
    Server server(one_gig_domain("Giant", "static", 1 * GiB));
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto d = Domain::open("Giant", socket_options(server));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->page_size(), 1 * GiB);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d->segments()[0].base) % GiB, 0u);
    auto* bytes = static_cast<volatile unsigned char*>(d->data());
    bytes[0] = 0x5a;
    bytes[d->data_size() - 1] = 0xa5;
    EXPECT_EQ(bytes[0], 0x5a);
    EXPECT_EQ(bytes[d->data_size() - 1], 0xa5);
    auto after = one_gig_pool();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->free + 1, p->free) << "the domain's page comes from the 1G pool";
}

}  // namespace
}  // namespace memdomain::test
