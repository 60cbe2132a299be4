// The data area's geometry: one function for the formatter and the checkers.
#include "area_geometry.h"

#include <string>

#include "area_layout.h"
#include "shared_word.h"

namespace memdomain::detail {

std::uint64_t default_arena_slot_size(std::uint64_t data_size, std::uint64_t page_size) {
    std::uint64_t slot = page_size < (std::uint64_t{1} << 20) ? std::uint64_t{1} << 20 : page_size;
    // A small domain still gets a few arenas to share out...
    while (slot > page_size && data_size / slot < kMinArenaSlotsAuto) slot /= 2;
    // ...and a big one no more than the table is meant for.
    while (data_size / slot > kMaxArenaSlotsAuto) slot *= 2;
    return slot;
}

Result<AreaGeometry> compute_area_geometry(std::uint64_t data_offset, std::uint64_t data_size, std::uint64_t page_size,
                                           std::uint32_t directory_slots, std::uint64_t arena_slot_size) {
    if (!is_pow2(page_size) || page_size < 4096)
        return make_error("page size " + std::to_string(page_size) + " is not a power of two >= 4096", EINVAL);
    if (directory_slots == 0 || directory_slots > kMaxDirectorySlots)
        return make_error("directory slots " + std::to_string(directory_slots) + " not in 1.." +
                              std::to_string(kMaxDirectorySlots),
                          EINVAL);
    if (!is_pow2(arena_slot_size) || arena_slot_size < page_size)
        return make_error("arena slot size " + std::to_string(arena_slot_size) +
                              " is not a power of two and a multiple of the page size " + std::to_string(page_size),
                          EINVAL);
    // Sizes come from a validated segment header, so these sums cannot wrap;
    // still, keep every term below 2^62.
    if (data_size >= (std::uint64_t{1} << 62) || data_offset >= (std::uint64_t{1} << 62))
        return make_error("data area too large", EINVAL);
    AreaGeometry g;
    g.data_offset = data_offset;
    g.data_size = data_size;
    g.page_size = page_size;
    g.directory_offset = kDirectoryOffset;
    g.directory_slots = directory_slots;
    g.arena_table_offset = round_up(g.directory_offset + std::uint64_t{directory_slots} * sizeof(DirEntry), 64);
    g.arena_slot_size = arena_slot_size;
    // The table is sized for every slot the area could hold at most; the
    // arenas start at the first page boundary (from the segment's start)
    // after it, so arena memory can be handed to page-granular allocators.
    const std::uint64_t max_slots = data_size / arena_slot_size;
    const std::uint64_t table_end = g.arena_table_offset + max_slots * sizeof(ArenaEntry);
    g.arena_offset = round_up(data_offset + table_end, page_size) - data_offset;
    if (max_slots == 0 || g.arena_offset >= data_size || (data_size - g.arena_offset) / arena_slot_size == 0)
        return make_error("the data area (" + std::to_string(data_size) + " bytes) cannot hold the data-path layout: " +
                              std::to_string(g.arena_offset) + " bytes of metadata and at least one " +
                              std::to_string(arena_slot_size) + "-byte arena",
                          ENOSPC);
    g.arena_slots = static_cast<std::uint32_t>((data_size - g.arena_offset) / arena_slot_size);
    return g;
}

}  // namespace memdomain::detail
