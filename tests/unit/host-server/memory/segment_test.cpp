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

// ---- What a R/W peer writes into the header and the mailbox --------------
// Every R/W peer can write the whole header area. The server must never take
// an address, a size or a loop bound from it: it reads only mailbox
// counters, at offsets it computed from its own spec, and publishes presence
// and epochs from its own record.

namespace {

SegmentSpec mailbox_spec() {
    SegmentSpec s = small_spec();
    s.max_peers = 4;
    s.vectors = 2;
    return s;
}

// The whole segment mapped read-write through its fd, as a peer maps it.
sys::Mapping peer_view(const Segment& seg) {
    auto m = sys::map_shared(seg.fd()->get(), seg.spec().size, sys::Protection::ReadWrite);
    EXPECT_TRUE(m) << m.error().message;
    return m ? std::move(m).value() : sys::Mapping();
}

SegmentHeader* header_of(const sys::Mapping& m) { return static_cast<SegmentHeader*>(m.data()); }

std::uint64_t* counter(const sys::Mapping& m, std::uint64_t mailbox_offset, std::uint32_t peer, std::uint32_t v) {
    return reinterpret_cast<std::uint64_t*>(m.bytes() + mailbox_offset + peer * kMailboxStride + v * 8);
}

void scribble_layout(SegmentHeader* h) {
    h->mailbox_offset = 0x7fff00000000ull;
    h->mailbox_size = ~0ull;
    h->max_peers = 0xffffffffu;
    h->vectors = 0xffffffffu;
    h->segment_size = ~0ull;
    h->data_offset = 0;
}

}  // namespace

TEST(SegmentHostileHeader, MailboxCountReadsTheServersOwnOffsetsWhateverTheHeaderSays) {
    auto seg = Segment::create(mailbox_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    sys::Mapping peer = peer_view(*seg);
    ASSERT_TRUE(peer.valid());
    const std::uint64_t mailbox = seg->geometry().mailbox_offset;
    EXPECT_EQ(mailbox, kHeaderAreaSize);
    *counter(peer, mailbox, 3, 1) = 77;
    *counter(peer, mailbox, 0, 0) = 0xffff'ffff'ffff'ffffull;  // any value is just a number
    scribble_layout(header_of(peer));
    EXPECT_EQ(seg->mailbox_count(3, 1), 77u);
    EXPECT_EQ(seg->mailbox_count(0, 0), 0xffff'ffff'ffff'ffffull);
    // Bounds are the server's own (4 peers, 2 vectors), not the header's.
    EXPECT_EQ(seg->mailbox_count(4, 0), 0u);
    EXPECT_EQ(seg->mailbox_count(0, 2), 0u);
    EXPECT_EQ(seg->mailbox_count(1023, 7), 0u);
    EXPECT_EQ(seg->mailbox_count(0xffffffffu, 0xffffffffu), 0u);
}

TEST(SegmentHostileHeader, PresenceIsPublishedFromTheServersRecordNotUpdatedInPlace) {
    auto seg = Segment::create(mailbox_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    sys::Mapping peer = peer_view(*seg);
    ASSERT_TRUE(peer.valid());
    SegmentHeader* h = header_of(peer);
    seg->set_present(1, true);
    // A peer claims everyone is there and the count is huge.
    for (auto& w : h->presence) w = ~0ull;
    h->peer_count = 0x7fff00000000ull;
    h->presence_seq = 5;
    seg->set_present(2, true);
    EXPECT_EQ(h->presence[0], (1ull << 1) | (1ull << 2)) << "the word is the server's record, not an OR into memory";
    EXPECT_EQ(h->peer_count, 2u);
    EXPECT_EQ(seg->present_count(), 2u);
    seg->set_present(1, false);
    EXPECT_EQ(h->presence[0], 1ull << 2);
    EXPECT_EQ(h->peer_count, 1u);
    EXPECT_EQ(h->presence_seq, 3u) << "three changes, counted by the server";
    // Ids beyond the server's max_peers are ignored, whatever the header says.
    h->max_peers = kMaxPeers;
    seg->set_present(4, true);
    seg->set_present(1000, true);
    EXPECT_EQ(seg->present_count(), 1u);
    EXPECT_EQ(h->presence[15], ~0ull) << "untouched: the server never wrote that word";
}

TEST(SegmentHostileHeader, JoinEpochsComeFromTheServersRecord) {
    auto seg = Segment::create(mailbox_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    sys::Mapping peer = peer_view(*seg);
    ASSERT_TRUE(peer.valid());
    SegmentHeader* h = header_of(peer);
    seg->begin_attachment(1);
    h->peer_epoch[1] = 0x1234;
    seg->begin_attachment(1);
    EXPECT_EQ(h->peer_epoch[1], 2u);
    seg->begin_attachment(9);  // beyond max_peers: ignored
    EXPECT_EQ(h->peer_epoch[9], 0u);
}

TEST(SegmentHostileHeader, AdoptionWithARecordRewritesAScribbledHeaderAndSaysSo) {
    auto seg = Segment::create(mailbox_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    const SegmentSpec recorded = seg->spec();
    {
        sys::Mapping peer = peer_view(*seg);
        ASSERT_TRUE(peer.valid());
        scribble_layout(header_of(peer));
        header_of(peer)->peer_epoch[2] = 40;
        header_of(peer)->presence_seq = 9;
    }
    auto dup = sys::reopen(seg->fd()->get(), O_RDWR);
    ASSERT_TRUE(dup) << dup.error().message;
    std::string tampered;
    auto adopted = Segment::adopt(std::move(dup).value(), &recorded, &tampered);
    ASSERT_TRUE(adopted) << adopted.error().message;
    EXPECT_FALSE(tampered.empty());
    EXPECT_TRUE(same_geometry(adopted->spec(), recorded));
    EXPECT_EQ(adopted->geometry().mailbox_offset, kHeaderAreaSize);
    auto h = validate_segment_header(adopted->header(), recorded.size);
    ASSERT_TRUE(h) << "the header is whole again: " << h.error().message;
    EXPECT_EQ(h->max_peers, 4u);
    EXPECT_EQ(h->peer_epoch[2], 41u) << "epochs carry on, bumped once";
    EXPECT_EQ(h->presence_seq, 10u) << "the emptied presence table is a change";
    EXPECT_EQ(h->peer_count, 0u);
}

TEST(SegmentHostileHeader, AdoptionWithoutARecordRefusesAHeaderThatDoesNotFitTheMemory) {
    auto seg = Segment::create(mailbox_spec());
    ASSERT_TRUE(seg) << seg.error().message;
    {
        sys::Mapping peer = peer_view(*seg);
        ASSERT_TRUE(peer.valid());
        header_of(peer)->segment_size = 2 * MiB;  // bigger than the memfd
    }
    auto dup = sys::reopen(seg->fd()->get(), O_RDWR);
    ASSERT_TRUE(dup) << dup.error().message;
    auto adopted = Segment::adopt(std::move(dup).value());
    ASSERT_FALSE(adopted);
    EXPECT_NE(adopted.error().message.find("segment size"), std::string::npos) << adopted.error().message;
}

TEST(SegmentGeometry, DifferencesNameEachKeyAndIgnoreIdentity) {
    SegmentSpec a = mailbox_spec();
    SegmentSpec b = a;
    b.generation = 99;
    b.numa_node = 3;
    b.prefault = !a.prefault;
    EXPECT_TRUE(same_geometry(a, b)) << "identity and faulting are not geometry";
    b.vectors = 4;
    b.size = 2 * MiB;
    b.access = SegmentAccess::ReadOnly;
    const auto d = geometry_differences(a, b);
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0].key, "vectors");
    EXPECT_EQ(d[0].before, "2");
    EXPECT_EQ(d[0].after, "4");
    EXPECT_FALSE(d[0].per_segment);
    EXPECT_EQ(d[1].key, "size");
    EXPECT_EQ(d[1].before, "1M");
    EXPECT_EQ(d[1].after, "2M");
    EXPECT_TRUE(d[1].per_segment);
    EXPECT_EQ(d[2].key, "access");
}
