// Where the parts of a formatted data area go, computed from what a peer
// knows for itself (its validated segment header) and the two parameters the
// formatter chose. The formatter writes the result into the superblock;
// every other peer computes it again and refuses a superblock that says
// anything else. Internal.
#pragma once

#include <cstdint>

#include "memdomain/common/result.h"

namespace memdomain::detail {

inline constexpr std::uint64_t kDirectoryOffset = 512;
inline constexpr std::uint32_t kDefaultDirectorySlots = 128;
inline constexpr std::uint32_t kMaxDirectorySlots = 65536;
inline constexpr std::uint32_t kMaxArenaSlotsAuto = 4096;
inline constexpr std::uint32_t kMinArenaSlotsAuto = 16;

struct AreaGeometry {
    std::uint64_t data_offset = 0;  // of the data area in segment 0
    std::uint64_t data_size = 0;
    std::uint64_t page_size = 0;
    std::uint64_t directory_offset = 0;
    std::uint32_t directory_slots = 0;
    std::uint64_t arena_table_offset = 0;
    std::uint64_t arena_offset = 0;
    std::uint64_t arena_slot_size = 0;
    std::uint32_t arena_slots = 0;
    friend bool operator==(const AreaGeometry&, const AreaGeometry&) = default;
};

// The automatic slot size: the page size, at least 1 MiB; halved (not
// below the page size) until there are kMinArenaSlotsAuto slots, doubled
// until there are at most kMaxArenaSlotsAuto.
std::uint64_t default_arena_slot_size(std::uint64_t data_size, std::uint64_t page_size);

// EINVAL for parameters out of range, ENOSPC when the area cannot hold the
// metadata and at least one arena slot.
Result<AreaGeometry> compute_area_geometry(std::uint64_t data_offset, std::uint64_t data_size, std::uint64_t page_size,
                                           std::uint32_t directory_slots, std::uint64_t arena_slot_size);

}  // namespace memdomain::detail
