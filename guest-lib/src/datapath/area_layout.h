// The bytes of a formatted data area (see memdomain/data_area.h for the
// picture): the superblock, directory entries and arena-table entries, with
// the encodings of their state words. Fixed-width fields, explicit padding,
// offsets only; every offset checked at compile time. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace memdomain::detail {

inline constexpr char kAreaMagic[8] = {'M', 'D', 'D', 'A', 'T', 'A', '0', '1'};
inline constexpr std::uint32_t kAreaLayoutVersion = 1;

// Superblock state word (offset 0 of the data area): the kind in the top
// two bits, the (packed) attachment of the formatter in the low 32.
//   0                  unformatted (with the rest of the superblock zero)
//   kAreaFormatting|a  peer a is formatting (superseded when a is dead)
//   kAreaReady|a       formatted by a; the superblock is valid from here on
inline constexpr std::uint64_t kAreaKindMask = std::uint64_t{3} << 62;
inline constexpr std::uint64_t kAreaFormatting = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kAreaReady = std::uint64_t{2} << 62;

struct AreaSuperblock {
    std::uint64_t state;                  //   0 see above (compare-and-swap)
    char magic[8];                        //   8 "MDDATA01"
    std::uint32_t layout_version;         //  16 kAreaLayoutVersion
    std::uint32_t superblock_size;        //  20 sizeof(AreaSuperblock)
    std::uint64_t data_offset;            //  24 where the data area starts in segment 0
    std::uint64_t data_size;              //  32
    std::uint64_t page_size;              //  40
    std::uint64_t directory_offset;       //  48 from the start of the data area
    std::uint32_t directory_slots;        //  56
    std::uint32_t directory_entry_size;   //  60 sizeof(DirEntry)
    std::uint64_t arena_table_offset;     //  64
    std::uint64_t arena_offset;           //  72 the first arena slot
    std::uint64_t arena_slot_size;        //  80
    std::uint32_t arena_slots;            //  88
    std::uint32_t arena_entry_size;       //  92 sizeof(ArenaEntry)
    std::uint64_t domain_generation;      //  96 the instance it was formatted in (informational)
    std::uint32_t formatter;              // 104 packed attachment (informational)
    std::uint32_t reserved0;              // 108 0
    std::uint8_t reserved[144];           // 112 0
};
static_assert(sizeof(AreaSuperblock) == 256);
static_assert(offsetof(AreaSuperblock, magic) == 8);
static_assert(offsetof(AreaSuperblock, layout_version) == 16);
static_assert(offsetof(AreaSuperblock, data_offset) == 24);
static_assert(offsetof(AreaSuperblock, directory_offset) == 48);
static_assert(offsetof(AreaSuperblock, directory_slots) == 56);
static_assert(offsetof(AreaSuperblock, arena_table_offset) == 64);
static_assert(offsetof(AreaSuperblock, arena_offset) == 72);
static_assert(offsetof(AreaSuperblock, arena_slot_size) == 80);
static_assert(offsetof(AreaSuperblock, arena_slots) == 88);
static_assert(offsetof(AreaSuperblock, domain_generation) == 96);
static_assert(offsetof(AreaSuperblock, formatter) == 104);
static_assert(offsetof(AreaSuperblock, reserved) == 112);
static_assert(std::is_standard_layout_v<AreaSuperblock> && std::is_trivially_copyable_v<AreaSuperblock>);

// Directory entry state word: kind in the top two bits, a 30-bit sequence
// (bumped each time the entry is claimed: a seqlock reader that sees the
// same word before and after reading the fields read one version), and the
// packed owner in the low 32 bits.
enum class DirKind : std::uint64_t { Free = 0, Writing = 1, Named = 2, Valid = 3 };
inline constexpr std::uint64_t kDirSeqMask = (std::uint64_t{1} << 30) - 1;
inline constexpr DirKind dir_kind(std::uint64_t s) { return static_cast<DirKind>(s >> 62); }
inline constexpr std::uint64_t dir_seq(std::uint64_t s) { return (s >> 32) & kDirSeqMask; }
inline constexpr std::uint32_t dir_owner(std::uint64_t s) { return static_cast<std::uint32_t>(s); }
inline constexpr std::uint64_t dir_state(DirKind k, std::uint64_t seq, std::uint32_t owner) {
    return static_cast<std::uint64_t>(k) << 62 | (seq & kDirSeqMask) << 32 | owner;
}

inline constexpr std::size_t kDirNameBytes = 64;  // 63 + NUL

struct DirEntry {
    std::uint64_t state;        //   0 see above
    std::uint64_t offset;       //   8 data-area offset of the named range
    std::uint64_t size;         //  16
    std::uint32_t type;         //  24 the publisher's number
    std::uint32_t name_length;  //  28 1..63
    char name[kDirNameBytes];   //  32 NUL padded
    std::uint8_t reserved[32];  //  96 0
};
static_assert(sizeof(DirEntry) == 128);
static_assert(offsetof(DirEntry, offset) == 8);
static_assert(offsetof(DirEntry, size) == 16);
static_assert(offsetof(DirEntry, type) == 24);
static_assert(offsetof(DirEntry, name_length) == 28);
static_assert(offsetof(DirEntry, name) == 32);
static_assert(offsetof(DirEntry, reserved) == 96);

// Arena table entry: the owner word is 0 (free) or kArenaClaimed | packed
// attachment; any other value (a scribble) counts as free. run_first and
// run_count say which claim the slot belongs to (informational: never used
// to find memory).
inline constexpr std::uint64_t kArenaClaimed = std::uint64_t{1} << 63;

struct ArenaEntry {
    std::uint64_t owner;      //  0
    std::uint32_t run_first;  //  8
    std::uint32_t run_count;  // 12
};
static_assert(sizeof(ArenaEntry) == 16);
static_assert(offsetof(ArenaEntry, run_first) == 8);

}  // namespace memdomain::detail
