// Segment: memfd creation, sealing, header, read-only reopen, hugepages.
#include "memory/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include "domain/domain_registry.h"
#include "memdomain/common/sizes.h"

using namespace memdomain;
using namespace memdomain::server;

namespace {
SegmentSpec small_spec() {
    SegmentSpec s;
    s.domain = "Seg";
    s.size = 1 * MiB;
    s.vectors = 2;
    return s;
}
std::uint64_t free_2m_pages() {
    auto p = sys::hugepage_pool(2 * MiB);
    return p ? p->available() : 0;
}
}  // namespace

TEST(Segment, HeaderIsWrittenAndValid) {
    auto seg = Segment::create(small_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    auto h = validate_segment_header(seg->header(), kHeaderAreaSize + 0);
    // The server's mapping covers one page; the header claims the full size,
    // so validate against the segment size as a client would.
    h = validate_segment_header(seg->header(), 1 * MiB);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(header_domain_name(*h), "Seg");
    EXPECT_EQ(h->segment_size, 1 * MiB);
    EXPECT_EQ(h->generation, seg->generation());
    EXPECT_NE(h->generation, 0u);
}

TEST(Segment, IsSealedAgainstShrinkAndGrow) {
    auto seg = Segment::create(small_spec());
    ASSERT_TRUE(seg);
    const int fd = (*seg->fd()).get();
    EXPECT_NE(::ftruncate(fd, 4096), 0);
    EXPECT_EQ(errno, EPERM);
    EXPECT_NE(::ftruncate(fd, 2 * MiB), 0);
    EXPECT_NE(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0) << "F_SEAL_SEAL forbids further seals";
}

TEST(Segment, ReadOnlyFdCannotBeMappedWritable) {
    auto seg = Segment::create(small_spec());
    ASSERT_TRUE(seg);
    auto ro = seg->open_read_only();
    ASSERT_TRUE(ro) << ro.error().message;
    void* w = ::mmap(nullptr, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, ro->get(), 0);
    EXPECT_EQ(w, MAP_FAILED);
    void* r = ::mmap(nullptr, 1 * MiB, PROT_READ, MAP_SHARED, ro->get(), 0);
    ASSERT_NE(r, MAP_FAILED);
    EXPECT_NE(::mprotect(r, 4096, PROT_READ | PROT_WRITE), 0) << "no upgrade to writable";
    EXPECT_EQ(std::memcmp(r, kSegmentMagic, 8), 0);
    ::munmap(r, 1 * MiB);
}

TEST(Segment, NewSegmentsGetDistinctGenerations) {
    auto a = Segment::create(small_spec());
    auto b = Segment::create(small_spec());
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->generation(), b->generation());
}

TEST(Segment, StaticHugepageSegmentTakesItsPagesFromThePool) {
    if (free_2m_pages() < 8) GTEST_SKIP() << "needs 8 free 2M hugepages, the pool has " << free_2m_pages();
    const auto before = free_2m_pages();
    {
        SegmentSpec s = small_spec();
        s.page_size = 2 * MiB;
        s.size = 8 * MiB;
        auto seg = Segment::create(s);
        ASSERT_TRUE(seg) << seg.error().message;
        EXPECT_EQ(free_2m_pages(), before - 4) << "prefaulted: all 4 pages taken at creation";
    }
    EXPECT_EQ(free_2m_pages(), before) << "pages go back when the segment is released";
}

TEST(Segment, PoolCheckNamesDomainPagesNeededAndFree) {
    config::Config cfg;
    config::DomainConfig d;
    d.name = "Huge";
    config::SegmentConfig sc;
    sc.page_class = PageClass::k2M;
    sc.size = 1024 * GiB;  // more than any test machine has
    sc.where = {"x.conf", 7, 9};
    d.segments.push_back(sc);
    cfg.domains.push_back(d);
    auto st = check_hugepage_pools(cfg.domains, nullptr);
    ASSERT_FALSE(st);
    const std::string& m = st.error().message;
    EXPECT_EQ(m.rfind("x.conf:7:9: domain Huge needs 524288 pages of 2M", 0), 0u) << m;
    EXPECT_NE(m.find("free of"), std::string::npos) << m;
}

TEST(Segment, GivenGenerationIsKeptSoSegmentsOfOneDomainAgree) {
    SegmentSpec s = small_spec();
    s.generation = 0x1234'5678'9abc'def0;
    auto seg = Segment::create(s);
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->generation(), 0x1234'5678'9abc'def0u);
    EXPECT_EQ(seg->header()->generation, 0x1234'5678'9abc'def0u);
}
