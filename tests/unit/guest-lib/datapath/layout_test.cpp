// The data area's and the channel's geometry: pure computations shared by
// the formatter and every checker, with their refusals.
#include <gtest/gtest.h>

#include <set>

#include "area_geometry.h"
#include "area_layout.h"
#include "channel_layout.h"

namespace memdomain::detail {
namespace {

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

TEST(AreaGeometry, ArenasStartOnAPageBoundaryOfTheSegmentAfterTheTable) {
    for (std::uint64_t page : {4 * KiB, 2 * MiB}) {
        for (std::uint64_t data_offset : {8 * KiB, 12 * KiB, 72 * KiB}) {
            const std::uint64_t data_size = 64 * MiB - data_offset;
            auto g = compute_area_geometry(data_offset, data_size, page, 128, default_arena_slot_size(data_size, page));
            ASSERT_TRUE(g) << g.error().message;
            EXPECT_EQ((data_offset + g->arena_offset) % page, 0u) << page << " " << data_offset;
            const std::uint64_t table_end = g->arena_table_offset + (data_size / g->arena_slot_size) * sizeof(ArenaEntry);
            EXPECT_GE(g->arena_offset, table_end);
            EXPECT_LE(g->arena_offset + std::uint64_t{g->arena_slots} * g->arena_slot_size, data_size);
            EXPECT_GE(g->arena_table_offset, g->directory_offset + 128 * sizeof(DirEntry));
        }
    }
}

TEST(AreaGeometry, DefaultSlotIsThePageAtLeastOneMebibyteAndAtMost4096Slots) {
    EXPECT_EQ(default_arena_slot_size(64 * MiB, 4 * KiB), 1 * MiB);
    EXPECT_EQ(default_arena_slot_size(1 * MiB - 8 * KiB, 4 * KiB), 32 * KiB);  // 16 slots in a small domain
    EXPECT_EQ(default_arena_slot_size(16 * MiB, 2 * MiB), 2 * MiB);           // never below the page
    EXPECT_EQ(default_arena_slot_size(64 * MiB, 2 * MiB), 2 * MiB);
    EXPECT_EQ(default_arena_slot_size(64 * GiB, 2 * MiB), 16 * MiB);
    EXPECT_EQ(default_arena_slot_size(4 * GiB, 1 * GiB), 1 * GiB);
}

TEST(AreaGeometry, RefusesParametersOutOfRange) {
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 4 * KiB, 0, 64 * KiB).error().sys, EINVAL);
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 4 * KiB, 65537, 64 * KiB).error().sys, EINVAL);
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 4 * KiB, 8, 48 * KiB).error().sys, EINVAL);   // not a power of two
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 2 * MiB, 8, 1 * MiB).error().sys, EINVAL);   // below the page
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 3000, 8, 64 * KiB).error().sys, EINVAL);     // odd page
    EXPECT_EQ(compute_area_geometry(8 * KiB, 4 * MiB, 4 * KiB, 8, std::uint64_t{1} << 63).error().sys, ENOSPC);
}

TEST(AreaGeometry, AnAreaTooSmallForOneArenaIsENOSPC) {
    EXPECT_EQ(compute_area_geometry(8 * KiB, 56 * KiB, 4 * KiB, 128, 64 * KiB).error().sys, ENOSPC);
    EXPECT_EQ(compute_area_geometry(8 * KiB, 2 * MiB - 8 * KiB, 2 * MiB, 128, 2 * MiB).error().sys, ENOSPC);
    auto fits = compute_area_geometry(8 * KiB, 4 * MiB - 8 * KiB, 4 * KiB, 128, 64 * KiB);
    ASSERT_TRUE(fits);
    EXPECT_EQ(fits->arena_slots, 63u);
}

TEST(ChannelGeometry, CopyModeHasDenseDescriptorsThenOnePayloadSlotPerEntry) {
    auto g = channel_geometry(ChannelMode::Copy, 512, 2048);
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.fwd_offset, kChannelHeaderSize);
    EXPECT_EQ(g.slots_offset, kChannelHeaderSize + 512u * kDescriptorSize);
    EXPECT_EQ(g.slot_stride, 2112u);  // 33 lines: an odd count, so slots spread over the cache sets
    EXPECT_EQ(g.ret_offset, 0u);
    EXPECT_EQ(g.total, kChannelHeaderSize + 512u * 16u + 512u * 2112u);
    // Slot strides are whole cache lines, an odd number of them.
    EXPECT_EQ(channel_geometry(ChannelMode::Copy, 2, 1).slot_stride, 64u);
    EXPECT_EQ(channel_geometry(ChannelMode::Copy, 2, 64).slot_stride, 64u);
    EXPECT_EQ(channel_geometry(ChannelMode::Copy, 2, 65).slot_stride, 192u);
    EXPECT_EQ(channel_geometry(ChannelMode::Copy, 2, 1500).slot_stride, 1600u);
    for (std::uint32_t p : {1u, 64u, 100u, 128u, 1500u, 2048u, 9000u, 65536u}) {
        const auto s = channel_geometry(ChannelMode::Copy, 4, p).slot_stride;
        EXPECT_GE(s, p);
        EXPECT_EQ(s % 64, 0u);
        EXPECT_EQ((s / 64) % 2, 1u) << p;
    }
    // A two-slot ring's descriptors still end on a line boundary.
    EXPECT_EQ(channel_geometry(ChannelMode::Copy, 2, 64).slots_offset, kChannelHeaderSize + 64u);
}

TEST(ChannelGeometry, ZeroCopyHasTwoDescriptorRings) {
    auto g = channel_geometry(ChannelMode::ZeroCopy, 1024, 0);
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.slot_stride, 0u);
    EXPECT_EQ(g.slots_offset, 0u);
    EXPECT_EQ(g.ret_offset, kChannelHeaderSize + 1024u * 16u);
    EXPECT_EQ(g.total, kChannelHeaderSize + 2 * 1024u * 16u);
}

TEST(ChannelGeometry, PostingDoublesTheReturnRingForEveryReturnAndEveryPost) {
    auto g = channel_geometry(ChannelMode::ZeroCopy, 1024, 256, true);
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.ret_offset, kChannelHeaderSize + 1024u * 16u);
    EXPECT_EQ(g.ret_slots, 2048u);
    EXPECT_EQ(g.ret_shift, 11u);
    EXPECT_EQ(g.slots_offset, g.ret_offset + 2048u * 16u);  // the inline slots after it
    EXPECT_EQ(channel_geometry(ChannelMode::ZeroCopy, 1024, 0).ret_slots, 1024u);
    EXPECT_FALSE(channel_geometry(ChannelMode::Copy, 1024, 256, true).ok);  // posting is zero-copy only
    ChannelConfig c;
    c.mode = ChannelMode::ZeroCopy;
    c.slots = 64;
    for (std::uint32_t posted : {1u, 64u}) {
        c.posted = posted;
        EXPECT_EQ(channel_memory_size(c), kChannelHeaderSize + 64u * 16u * 3u) << posted;
    }
    c.posted = 65;  // more than the ring
    EXPECT_EQ(channel_memory_size(c), 0u);
    c.slots = kChannelMaxSlots;
    c.posted = kChannelMaxSlots;  // a token of 0x7fff would read as the inline token
    EXPECT_EQ(channel_memory_size(c), 0u);
    c.mode = ChannelMode::Copy;
    c.posted = 1;
    EXPECT_EQ(channel_memory_size(c), 0u);
}

TEST(ChannelLayout, PostTagsAreMarkedPostsAndDifferForDifferentConsumerWords) {
    std::set<std::uint16_t> tags;
    for (std::uint64_t open = 0; open < 64; ++open) {
        const std::uint16_t t = post_tag(kConsumerAttached | open << 32 | 0x00010002u);
        EXPECT_EQ(t & kEntryPost, kEntryPost);
        tags.insert(t);
    }
    EXPECT_EQ(tags.size(), 64u);  // 64 opens by one attachment: 64 tags
    EXPECT_NE(kPostedTokenBit | 0x7ffe, kInlineToken);
}

TEST(ChannelGeometry, InvalidConfigsHaveNoSize) {
    ChannelConfig c;
    for (std::uint32_t slots : {0u, 1u, 3u, 100u, 65536u}) {
        c.slots = slots;
        EXPECT_EQ(channel_memory_size(c), 0u) << slots;
    }
    c.slots = 8;
    c.slot_payload = 0;
    EXPECT_EQ(channel_memory_size(c), 0u);
    c.slot_payload = 65537;
    EXPECT_EQ(channel_memory_size(c), 0u);
    c.slot_payload = 64;
    c.mode = static_cast<ChannelMode>(7);
    EXPECT_EQ(channel_memory_size(c), 0u);
}

TEST(ChannelLayout, EntryWordsRoundTripAndMarkersNameTheLap) {
    const std::uint64_t w0 = entry_word0(0x0000123456789abcULL, 0xbeef);
    EXPECT_EQ(w0 & kOffsetMask, 0x0000123456789abcULL);
    EXPECT_EQ(w0 >> 48, 0xbeefu);
    const std::uint64_t w1 = entry_word1(1500, 77, marker_for(3 * 8 + 5, 3));
    EXPECT_EQ(static_cast<std::uint32_t>(w1), 1500u);
    EXPECT_EQ((w1 >> 32) & 0xffff, 77u);
    EXPECT_EQ(w1 >> 48, 4u);  // lap 3, +1
    // Lap 0 is marker 1, so zeroed memory never reads as a written entry.
    EXPECT_EQ(marker_for(0, 3), 1u);
    EXPECT_NE(marker_for(65535u << 3, 3), 1u);
}

}  // namespace
}  // namespace memdomain::detail
