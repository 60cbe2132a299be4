// The bytes of a channel (see memdomain/channel.h): a 512-byte header of
// 64-byte lines, each line written by one side only, then the forward ring
// of 16-byte descriptors, then (zero-copy) the return ring of 16-byte
// descriptors (slots entries, 2 * slots with posting: room for every return
// and every post at once), then (copy mode, and zero-copy with inline_payload) one
// payload slot per forward entry, slot_stride bytes apart
// (round_up(payload, 64), made an odd number of cache lines). A zero-copy
// message in its slot carries token kInlineToken and never comes back. A descriptor is two
// words:
//   word0 = offset (48 bits) | flags << 48
//   word1 = length (32 bits) | token << 32 (16 bits) | marker << 48 (16 bits)
// word1 is stored last, with release order; the marker names the lap of the
// position it was written for, ((pos >> log2(slots)) + 1) mod 2^16, so a
// reader knows an entry is new without reading the writer's index. In copy
// mode, word0's offset names the entry's own slot; the consumer ignores it
// and computes the slot from its own geometry.
//
// Posting (flags & kChannelFlagPosting): the return ring also carries the
// consumer's posts, entries whose word0 flags are post_tag(its attach word): word0's offset
// and word1's length are the lent range, word1's token the consumer's own
// post index t (< the config's `posted`). The producer copies a message
// into a posted buffer and writes a forward entry with token
// kPostedTokenBit | t and the message's length; the consumer finds the
// buffer in its own record of post t (word0's offset is informational).
// Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "memdomain/channel.h"

namespace memdomain::detail {

inline constexpr char kChannelMagic[8] = {'M', 'D', 'C', 'H', 'A', 'N', '0', '1'};
inline constexpr std::uint32_t kChannelHeaderSize = 512;
inline constexpr std::uint32_t kDescriptorSize = 16;
inline constexpr std::uint32_t kMaxSlotPayload = 65536;
inline constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << 48) - 1;

// ChannelHeader::consumer: 0 when no consumer is attached, else a kind in
// the top two bits, an open number in bits 32..61 (each open() draws a new
// one, so a consumer reopened by the same attachment has another word), and
// a packed attachment in the low 32.
inline constexpr std::uint64_t kConsumerAttached = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kConsumerRecovering = std::uint64_t{2} << 62;  // the producer is cleaning up
inline constexpr std::uint64_t kConsumerKindMask = std::uint64_t{3} << 62;
inline constexpr std::uint64_t kConsumerOpenMask = ((std::uint64_t{1} << 30) - 1) << 32;
// ChannelHeader::flags
inline constexpr std::uint32_t kChannelFlagPosting = 1;  // the consumer may post buffers
// Return-ring entry kinds (word0's flags): 0 a return; a post has bit
// kEntryPost and, above it, the poster's tag (post_tag): a post an earlier
// consumer left on the ring is never taken as the current one's.
inline constexpr std::uint16_t kEntryPost = 1;
inline constexpr std::uint16_t post_tag(std::uint64_t consumer_word) {
    const std::uint64_t w = consumer_word ^ (consumer_word >> 15) ^ (consumer_word >> 30) ^ (consumer_word >> 45);
    return static_cast<std::uint16_t>((w & 0x7fff) << 1 | kEntryPost);
}
// A forward entry's token for a message in the consumer's post t.
inline constexpr std::uint16_t kPostedTokenBit = 0x8000;
// ChannelHeader::producer_state
inline constexpr std::uint64_t kProducerOpen = 1;
inline constexpr std::uint64_t kProducerClosed = 2;
// The *_sleeping words: 0 awake, 1 asleep (or about to), 2 asleep and rung.
inline constexpr std::uint32_t kAwake = 0, kSleeping = 1, kRung = 2;

struct alignas(64) ChannelHeader {
    // line 0, written once by the producer before the channel is published
    char magic[8];                   //   0 "MDCHAN01"
    std::uint32_t layout_version;    //   8 kChannelLayoutVersion
    std::uint32_t header_size;       //  12 kChannelHeaderSize
    std::uint32_t mode;              //  16 ChannelMode
    std::uint32_t slots;             //  20 power of two
    std::uint32_t slot_payload;      //  24 Copy: the largest message; ZeroCopy: the largest inline one, or 0
    std::uint32_t slot_stride;       //  28 round_up(slot_payload, 64) | 64, or 0 without slots
    std::uint32_t consumer_vector;   //  32
    std::uint32_t producer_vector;   //  36
    std::uint32_t producer;          //  40 packed attachment
    std::uint32_t flags;             //  44 kChannelFlagPosting
    std::uint64_t region_offset;     //  48 zero-copy buffers lie in [region_offset, +region_size):
    std::uint64_t region_size;       //  56   the producer's arena
    // line 1: attach words (each written rarely, by one side)
    std::uint64_t consumer;          //  64 consumer's (compare-and-swap)
    std::uint64_t producer_state;    //  72 producer's: open / closed
    std::uint32_t posted;            //  80 written once by the producer: posts a consumer may have
                                     //     out (< slots + 1, < kPostedTokenBit), 0 without posting
    std::uint8_t pad1[44];           //  84
    // lines 2..7: one writer each
    std::uint64_t fwd_head;          // 128 producer: next forward position (informational)
    std::uint8_t pad2[56];
    std::uint64_t fwd_tail;          // 192 consumer: forward entries consumed
    std::uint8_t pad3[56];
    std::uint64_t ret_head;          // 256 consumer: next return position (informational)
    std::uint8_t pad4[56];
    std::uint64_t ret_tail;          // 320 producer: returns reclaimed
    std::uint8_t pad5[56];
    std::uint32_t consumer_sleeping; // 384 consumer (the producer may move 1 -> 2)
    std::uint8_t pad6[60];
    std::uint32_t producer_sleeping; // 448 producer (the consumer may move 1 -> 2)
    std::uint8_t pad7[60];
};
static_assert(sizeof(ChannelHeader) == kChannelHeaderSize);
static_assert(offsetof(ChannelHeader, layout_version) == 8);
static_assert(offsetof(ChannelHeader, mode) == 16);
static_assert(offsetof(ChannelHeader, slots) == 20);
static_assert(offsetof(ChannelHeader, slot_stride) == 28);
static_assert(offsetof(ChannelHeader, producer) == 40);
static_assert(offsetof(ChannelHeader, flags) == 44);
static_assert(offsetof(ChannelHeader, region_offset) == 48);
static_assert(offsetof(ChannelHeader, consumer) == 64);
static_assert(offsetof(ChannelHeader, producer_state) == 72);
static_assert(offsetof(ChannelHeader, posted) == 80);
static_assert(offsetof(ChannelHeader, fwd_head) == 128);
static_assert(offsetof(ChannelHeader, fwd_tail) == 192);
static_assert(offsetof(ChannelHeader, ret_head) == 256);
static_assert(offsetof(ChannelHeader, ret_tail) == 320);
static_assert(offsetof(ChannelHeader, consumer_sleeping) == 384);
static_assert(offsetof(ChannelHeader, producer_sleeping) == 448);
static_assert(std::is_standard_layout_v<ChannelHeader> && std::is_trivially_copyable_v<ChannelHeader>);

inline constexpr std::uint64_t entry_word0(std::uint64_t offset, std::uint16_t flags) {
    return (offset & kOffsetMask) | std::uint64_t{flags} << 48;
}
inline constexpr std::uint64_t entry_word1(std::uint32_t length, std::uint16_t token, std::uint16_t marker) {
    return std::uint64_t{length} | std::uint64_t{token} << 32 | std::uint64_t{marker} << 48;
}
inline constexpr std::uint16_t marker_for(std::uint64_t pos, std::uint32_t shift) {
    return static_cast<std::uint16_t>((pos >> shift) + 1);
}

// The sizes a config implies; ok is false for an invalid config.
struct ChannelGeometry {
    bool ok = false;
    std::uint32_t shift = 0;          // log2(slots)
    std::uint32_t slot_stride = 0;    // bytes per payload slot; 0 without slots
    std::uint64_t fwd_offset = 0;     // from the channel's start
    std::uint64_t slots_offset = 0;   // payload slot 0; 0 without slots
    std::uint64_t ret_offset = 0;     // ZeroCopy: return entry 0; Copy: 0
    std::uint32_t ret_slots = 0;      // return entries: slots, 2 * slots with posting; 0 in Copy
    std::uint32_t ret_shift = 0;      // log2(ret_slots)
    std::uint64_t total = 0;
};
// slot_payload: Copy, the largest message (1..65536); ZeroCopy, the
// largest inline message (0: no slots). posting: ZeroCopy only.
ChannelGeometry channel_geometry(ChannelMode mode, std::uint32_t slots, std::uint32_t slot_payload,
                                 bool posting = false);
// The payload a config gives each slot: slot_payload in Copy mode,
// inline_payload in ZeroCopy mode.
inline std::uint32_t slot_bytes(const ChannelConfig& c) {
    return c.mode == ChannelMode::Copy ? c.slot_payload : c.inline_payload;
}
// The geometry of a config (posting when `posted` is set).
inline ChannelGeometry config_geometry(const ChannelConfig& c) {
    return channel_geometry(c.mode, c.slots, slot_bytes(c), c.posted != 0);
}
// The token of a zero-copy message that travels in its entry's slot (no
// pool buffer, no return); real tokens are < kChannelMaxSlots.
inline constexpr std::uint16_t kInlineToken = 0xffff;

}  // namespace memdomain::detail
