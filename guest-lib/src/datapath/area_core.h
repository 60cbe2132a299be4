// The state behind a DataArea: the domain port, this peer's own copy of the
// validated geometry, and typed access to the area's parts. Every accessor
// takes an index the caller has bounded by geo; nothing here reads a
// position out of shared memory. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "area_geometry.h"
#include "area_layout.h"
#include "domain_port.h"
#include "memdomain/data_area.h"
#include "shared_word.h"

namespace memdomain::detail {

struct AreaCore {
    std::unique_ptr<DomainPort> port;
    AreaGeometry geo;
    std::byte* data = nullptr;                  // start of segment 0's data area
    const SegmentHeader* live_header = nullptr; // segment 0's header, as mapped
    Attachment self;
    bool writable = false;
    DataAreaInfo info;

    AreaSuperblock* superblock() const { return reinterpret_cast<AreaSuperblock*>(data); }
    DirEntry* dir_entry(std::uint32_t i) const {
        return reinterpret_cast<DirEntry*>(data + geo.directory_offset) + i;
    }
    ArenaEntry* arena_entry(std::uint32_t i) const {
        return reinterpret_cast<ArenaEntry*>(data + geo.arena_table_offset) + i;
    }
    std::uint64_t arena_slot_offset(std::uint32_t i) const { return geo.arena_offset + i * geo.arena_slot_size; }
    std::uint64_t arena_area_end() const { return geo.arena_offset + std::uint64_t{geo.arena_slots} * geo.arena_slot_size; }
    bool is_live(Attachment a) const { return attachment_live(live_header, a); }
    bool self_live() const { return is_live(self); }
    // [offset, offset + length) inside the data area (no wrap-around).
    bool in_area(std::uint64_t offset, std::uint64_t length) const {
        return offset <= geo.data_size && length <= geo.data_size - offset;
    }
};

}  // namespace memdomain::detail
