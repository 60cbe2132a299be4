// The segment header: what write_segment_header puts in memory is what
// validate_segment_header reads back, and every kind of corruption a guest
// may see in a BAR is refused with a message naming the field, never a crash.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/common/sizes.h"

namespace memdomain {
namespace {

constexpr std::uint64_t kSegSize = 64 * KiB;

// A segment-sized, zeroed, page-aligned buffer standing in for a mapping.
struct Segment {
    explicit Segment(std::uint64_t size = kSegSize)
        : size(size), mem(static_cast<std::byte*>(std::aligned_alloc(4096, size)), &std::free) {
        std::memset(mem.get(), 0, size);
    }
    SegmentHeader* header() { return reinterpret_cast<SegmentHeader*>(mem.get()); }
    std::uint64_t size;
    std::unique_ptr<std::byte, decltype(&std::free)> mem;
};

SegmentHeaderSpec spec_for(std::uint64_t size = kSegSize) {
    SegmentHeaderSpec s;
    s.domain_name = "MainMem";
    s.segment_index = 1;
    s.segment_count = 2;
    s.page_size = 4 * KiB;
    s.segment_size = size;
    s.generation = 0x1234'5678'9abc'def0;
    s.access = SegmentAccess::ReadOnly;
    s.vectors = 2;
    s.max_peers = 64;
    return s;
}

TEST(SegmentHeaderRoundTrip, ValidateReadsBackEveryWrittenField) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    auto h = validate_segment_header(seg.mem.get(), seg.size);
    ASSERT_TRUE(h.has_value()) << h.error().message;
    EXPECT_EQ(std::memcmp(h->magic, "MEMDOMN1", 8), 0);
    EXPECT_EQ(h->layout_version, kLayoutVersion);
    EXPECT_EQ(h->header_size, sizeof(SegmentHeader));
    EXPECT_EQ(header_domain_name(*h), "MainMem");
    EXPECT_EQ(h->segment_index, 1u);
    EXPECT_EQ(h->segment_count, 2u);
    EXPECT_EQ(h->page_size, 4 * KiB);
    EXPECT_EQ(h->segment_size, kSegSize);
    EXPECT_EQ(h->generation, 0x1234'5678'9abc'def0u);
    EXPECT_EQ(h->access, static_cast<std::uint32_t>(SegmentAccess::ReadOnly));
    EXPECT_EQ(h->vectors, 2u);
    EXPECT_EQ(h->max_peers, 64u);
    EXPECT_EQ(h->flags, kHeaderPeerEpochs);
    for (std::uint32_t id = 0; id < kMaxPeers; ++id) EXPECT_EQ(h->peer_epoch[id], 0u) << id;
    EXPECT_EQ(h->peer_count, 0u);
}

TEST(SegmentHeaderRoundTrip, GeometryPutsMailboxAfterHeaderAndDataAfterMailbox) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    auto h = validate_segment_header(seg.mem.get(), seg.size);
    ASSERT_TRUE(h.has_value()) << h.error().message;
    EXPECT_EQ(h->mailbox_offset, kHeaderAreaSize);
    EXPECT_EQ(h->mailbox_size, 64 * kMailboxStride);
    EXPECT_EQ(h->data_offset, 8 * KiB);
    EXPECT_EQ(h->data_offset + h->data_size, kSegSize);
}

TEST(SegmentHeaderRoundTrip, MappedSizeLargerThanSegmentIsAccepted) {
    Segment seg(2 * kSegSize);  // a BAR may be larger than the segment
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for(kSegSize)).has_value());
    EXPECT_TRUE(validate_segment_header(seg.mem.get(), seg.size).has_value());
}

TEST(SegmentHeaderRoundTrip, WriteClearsTheMailbox) {
    Segment seg;
    std::memset(seg.mem.get(), 0xAB, seg.size);
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    for (std::uint64_t i = kHeaderAreaSize; i < kHeaderAreaSize + 64 * kMailboxStride; ++i)
        ASSERT_EQ(seg.mem.get()[i], std::byte{0}) << "offset " << i;
    ASSERT_TRUE(validate_segment_header(seg.mem.get(), seg.size).has_value());
}

TEST(SegmentHeaderWrite, RefusesBadName) {
    Segment seg;
    auto s = spec_for();
    s.domain_name = "a/b";
    EXPECT_FALSE(write_segment_header(seg.mem.get(), s).has_value());
}

TEST(SegmentHeaderWrite, RefusesBadPageSize) {
    Segment seg;
    auto s = spec_for();
    s.page_size = 8 * KiB;
    EXPECT_FALSE(write_segment_header(seg.mem.get(), s).has_value());
}

TEST(SegmentHeaderWrite, RefusesIndexOutOfRange) {
    Segment seg;
    auto s = spec_for();
    s.segment_index = 2;
    EXPECT_FALSE(write_segment_header(seg.mem.get(), s).has_value());
}

TEST(SegmentHeaderWrite, RefusesSegmentWithNoRoomForData) {
    Segment seg;
    auto s = spec_for(8 * KiB);  // header 4K + mailbox 4K = 8K, no data left
    auto st = write_segment_header(seg.mem.get(), s);
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("cannot hold"), std::string::npos) << st.error().message;
}

TEST(SegmentGeometry, MailboxGrowsWithMaxPeers) {
    auto s = spec_for(1 * MiB);
    s.max_peers = 1024;
    auto g = segment_geometry(s);
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->mailbox_size, 1024 * kMailboxStride);
    EXPECT_EQ(g->data_offset, kHeaderAreaSize + 64 * KiB);
    EXPECT_EQ(g->data_size, 1 * MiB - g->data_offset);
}

TEST(SegmentGeometry, VectorsAndMaxPeersOutOfRangeAreRefused) {
    for (auto [v, p] : {std::pair{0u, 64u}, {9u, 64u}, {1u, 0u}, {1u, 1025u}}) {
        auto s = spec_for();
        s.vectors = v;
        s.max_peers = p;
        EXPECT_FALSE(segment_geometry(s).has_value()) << v << " " << p;
    }
}

TEST(SegmentHeaderValidate, NullOrShortMappingIsRefused) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    EXPECT_FALSE(validate_segment_header(nullptr, seg.size).has_value());
    EXPECT_FALSE(validate_segment_header(seg.mem.get(), kHeaderAreaSize - 1).has_value());
}

TEST(SegmentHeaderValidate, AllZeroAndAllOnesMemoryIsRefused) {
    Segment seg;
    EXPECT_FALSE(validate_segment_header(seg.mem.get(), seg.size).has_value());
    std::memset(seg.mem.get(), 0xFF, seg.size);
    EXPECT_FALSE(validate_segment_header(seg.mem.get(), seg.size).has_value());
}

TEST(SegmentHeaderValidate, RandomBytesAreRefused) {
    Segment seg;
    std::mt19937_64 rng(42);
    for (int round = 0; round < 200; ++round) {
        for (std::uint64_t i = 0; i < kHeaderAreaSize; i += 8) {
            const std::uint64_t r = rng();
            std::memcpy(seg.mem.get() + i, &r, 8);
        }
        ASSERT_FALSE(validate_segment_header(seg.mem.get(), seg.size).has_value());
    }
}

// Presence bits below max_peers are what the server sets: they must pass.
TEST(SegmentHeaderValidate, PresenceBelowMaxPeersIsAccepted) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    header_set_present(seg.header(), 0, true);
    header_set_present(seg.header(), 63, true);
    EXPECT_TRUE(validate_segment_header(seg.mem.get(), seg.size).has_value());
}

// --- one corruption per row -------------------------------------------------
struct Corruption {
    const char* name;
    std::function<void(SegmentHeader&)> damage;
    std::string phrase;  // the field, as the message names it
};

const std::vector<Corruption> kCorruptions = {
    {"Magic", [](SegmentHeader& h) { h.magic[7] = '2'; }, "magic"},
    {"MagicAllZero", [](SegmentHeader& h) { std::memset(h.magic, 0, 8); }, "magic"},
    {"LayoutVersionNewer", [](SegmentHeader& h) { h.layout_version = 2; }, "layout version 2"},
    {"LayoutVersionZero", [](SegmentHeader& h) { h.layout_version = 0; }, "layout version 0"},
    {"HeaderSize", [](SegmentHeader& h) { h.header_size = 4095; }, "header size 4095"},
    {"NameWithoutNul", [](SegmentHeader& h) { std::memset(h.domain_name, 'a', sizeof h.domain_name); },
     "domain name is not NUL-terminated"},
    {"NameWithSlash", [](SegmentHeader& h) { std::memcpy(h.domain_name, "a/b", 4); }, "contains '/'"},
    {"NameWithControlByte", [](SegmentHeader& h) { h.domain_name[2] = '\x07'; }, "domain name"},
    {"NameEmpty", [](SegmentHeader& h) { h.domain_name[0] = '\0'; }, "domain name is empty"},
    {"NameDotDot", [](SegmentHeader& h) { std::memcpy(h.domain_name, "..", 3); }, "reserved"},
    {"SegmentIndexEqualsCount", [](SegmentHeader& h) { h.segment_index = h.segment_count; }, "segment 2 of 2"},
    {"SegmentIndexHuge", [](SegmentHeader& h) { h.segment_index = 0xFFFFFFFF; }, "segment 4294967295 of 2"},
    {"SegmentCountZero", [](SegmentHeader& h) { h.segment_index = 0, h.segment_count = 0; }, "segment 0 of 0"},
    {"SegmentCountAbove64", [](SegmentHeader& h) { h.segment_count = 65; }, "segment 1 of 65"},
    {"PageSize8K", [](SegmentHeader& h) { h.page_size = 8 * KiB; }, "page size 8192"},
    {"PageSizeZero", [](SegmentHeader& h) { h.page_size = 0; }, "page size 0"},
    {"SegmentSizeBeyondMapping", [](SegmentHeader& h) { h.segment_size = kSegSize + 4096; }, "segment size 69632 exceeds"},
    {"SegmentSizeHuge", [](SegmentHeader& h) { h.segment_size = UINT64_MAX; }, "exceeds the 65536 bytes mapped"},
    {"SegmentSizeTooSmallForMailbox", [](SegmentHeader& h) { h.segment_size = 4096; }, "cannot hold"},
    {"AccessZero", [](SegmentHeader& h) { h.access = 0; }, "access 0"},
    {"AccessThree", [](SegmentHeader& h) { h.access = 3; }, "access 3"},
    {"VectorsZero", [](SegmentHeader& h) { h.vectors = 0; }, "vectors 0"},
    {"VectorsNine", [](SegmentHeader& h) { h.vectors = 9; }, "vectors 9"},
    {"MaxPeersZero", [](SegmentHeader& h) { h.max_peers = 0; }, "max peers 0"},
    {"MaxPeersAbove1024", [](SegmentHeader& h) { h.max_peers = 1025; }, "max peers 1025"},
    {"MaxPeersChangedAfterWrite", [](SegmentHeader& h) { h.max_peers = 128; }, "mailbox/data offsets"},
    {"Flags", [](SegmentHeader& h) { h.flags = 2; }, "flags 2"},
    {"MailboxOffset", [](SegmentHeader& h) { h.mailbox_offset = 0; }, "mailbox/data offsets"},
    {"MailboxSize", [](SegmentHeader& h) { h.mailbox_size = UINT64_MAX; }, "mailbox/data offsets"},
    {"DataOffset", [](SegmentHeader& h) { h.data_offset = kSegSize; }, "mailbox/data offsets"},
    {"DataSize", [](SegmentHeader& h) { h.data_size += 4096; }, "mailbox/data offsets"},
    {"PresenceBitAtMaxPeers", [](SegmentHeader& h) { h.presence[1] = 1; }, "peer id 64 >= max peers"},
    {"PresenceBitAtLastId", [](SegmentHeader& h) { h.presence[15] = std::uint64_t{1} << 63; },
     "peer id 1023 >= max peers"},
};

class SegmentHeaderCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(SegmentHeaderCorruption, IsRefusedNamingTheField) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    ASSERT_TRUE(validate_segment_header(seg.mem.get(), seg.size).has_value());
    GetParam().damage(*seg.header());
    auto h = validate_segment_header(seg.mem.get(), seg.size);
    ASSERT_FALSE(h.has_value()) << "accepted after damage";
    EXPECT_EQ(h.error().message.rfind("invalid segment header: ", 0), 0u) << h.error().message;
    EXPECT_NE(h.error().message.find(GetParam().phrase), std::string::npos) << h.error().message;
    EXPECT_EQ(h.error().sys, EINVAL);
}

INSTANTIATE_TEST_SUITE_P(EveryField, SegmentHeaderCorruption, ::testing::ValuesIn(kCorruptions),
                         [](const auto& info) { return std::string(info.param.name); });

// --- presence and mailbox ---------------------------------------------------
TEST(SegmentHeaderPresence, SetAndClearUpdateBitCountAndSequence) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    SegmentHeader* h = seg.header();
    header_set_present(h, 5, true);
    header_set_present(h, 63, true);
    EXPECT_TRUE(header_is_present(h, 5));
    EXPECT_TRUE(header_is_present(h, 63));
    EXPECT_FALSE(header_is_present(h, 6));
    EXPECT_EQ(h->peer_count, 2u);
    EXPECT_EQ(h->presence_seq, 2u);
    header_set_present(h, 5, false);
    EXPECT_FALSE(header_is_present(h, 5));
    EXPECT_EQ(h->peer_count, 1u);
    EXPECT_EQ(h->presence_seq, 3u);
}

TEST(SegmentHeaderPresence, SettingTwiceCountsOnce) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    header_set_present(seg.header(), 7, true);
    header_set_present(seg.header(), 7, true);
    EXPECT_EQ(seg.header()->peer_count, 1u);
    header_set_present(seg.header(), 7, false);
    header_set_present(seg.header(), 7, false);
    EXPECT_EQ(seg.header()->peer_count, 0u);
}

TEST(SegmentHeaderPresence, IdsBeyondTheBitmapAreIgnored) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    header_set_present(seg.header(), kMaxPeers, true);
    EXPECT_FALSE(header_is_present(seg.header(), kMaxPeers));
    EXPECT_EQ(seg.header()->peer_count, 0u);
}

TEST(SegmentHeaderPeerEpoch, EachAdmissionBumpsOnlyThatIdAndNeverGivesZero) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    SegmentHeader* h = seg.header();
    header_bump_peer_epoch(h, 3);
    header_bump_peer_epoch(h, 3);
    EXPECT_EQ(header_peer_epoch(h, 3), 2u);
    EXPECT_EQ(header_peer_epoch(h, 4), 0u);
    h->peer_epoch[4] = 0xffff;  // wraps past 0: 0 means "never joined"
    header_bump_peer_epoch(h, 4);
    EXPECT_EQ(header_peer_epoch(h, 4), 1u);
    header_bump_peer_epoch(h, kMaxPeers);  // ignored, not out of bounds
    EXPECT_EQ(header_peer_epoch(h, kMaxPeers), 0u);
    EXPECT_TRUE(validate_segment_header(seg.mem.get(), seg.size).has_value());
}

TEST(SegmentHeaderMailbox, WordsAreInsideTheMailboxAndDistinct) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    auto h = validate_segment_header(seg.mem.get(), seg.size);
    ASSERT_TRUE(h.has_value());
    auto* base = seg.mem.get();
    auto* first = reinterpret_cast<std::byte*>(mailbox_word(base, *h, 0, 0));
    auto* second_vector = reinterpret_cast<std::byte*>(mailbox_word(base, *h, 0, 1));
    auto* last = reinterpret_cast<std::byte*>(mailbox_word(base, *h, 63, 1));
    EXPECT_EQ(first - base, static_cast<std::ptrdiff_t>(h->mailbox_offset));
    EXPECT_EQ(second_vector - first, 8);
    EXPECT_EQ(last - base, static_cast<std::ptrdiff_t>(h->mailbox_offset + 63 * kMailboxStride + 8));
    EXPECT_LT(static_cast<std::uint64_t>(last - base) + 8, h->data_offset + 1);
}

TEST(SegmentHeaderMailbox, OutOfRangePeerOrVectorGivesNull) {
    Segment seg;
    ASSERT_TRUE(write_segment_header(seg.mem.get(), spec_for()).has_value());
    auto h = validate_segment_header(seg.mem.get(), seg.size);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(mailbox_word(seg.mem.get(), *h, 64, 0), nullptr);
    EXPECT_EQ(mailbox_word(seg.mem.get(), *h, 0, 2), nullptr);
}

}  // namespace
}  // namespace memdomain
