// The data path's view of a domain: segment 0's data area, formatted (on
// first use, by whichever peer gets there first) into a superblock, a
// directory of named objects (directory.h), a table of arena claims
// (arena.h) and page-aligned arenas. Channels (channel.h) are built in place
// inside arenas and found by name through the directory.
//
//   auto d = memdomain::Domain::open("MainMem");
//   auto area = memdomain::DataArea::attach(*d);        // formats if empty
//   auto arena = memdomain::Arena::claim(*area, 16 << 20);
//
// Layout (offsets from the start of the data area, never addresses, so a
// host process and a VM share it byte for byte):
//
//   [0, 256)        superblock: a state word (unformatted -> formatting by
//                   (id, epoch) -> ready), magic "MDDATA01", layout version,
//                   the geometry below
//   [512, ...)      directory: `directory_slots` entries of 128 bytes
//   [..., ...)      arena table: one 16-byte owner word per arena slot
//   [arena_offset, ...)  arena slots of `arena_slot_size` bytes each, the
//                   first one aligned (from the segment's start) to the
//                   segment's page size, and the slot size a multiple of it
//
// Trust: every peer recomputes the geometry from its own validated segment
// header and the superblock's two parameters (directory slots, arena slot
// size), checks that the superblock says the same, and from then on uses only
// its own copy. Nothing read later from shared memory is used as an address
// or a loop bound without a bounds check: a peer that scribbles over the
// area makes the others see errors or garbage payload, never a crash.
//
// Attachments: peer ids are reused, so every record in the area (arena
// claim, directory entry, channel end) carries (id, epoch), where epoch is
// the server's per-id join counter in the segment header
// (header_peer_epoch). A record is live only while that id is present and its
// epoch is unchanged; a dead peer's records are taken over or withdrawn by
// anyone. There is no lock in shared memory that a dead peer could hold.
//
// Thread safety: a DataArea is immutable after attach; arena claims and
// directory calls may run from several threads at once. Channels use the
// Domain for doorbells, and a Domain is not thread-safe: see channel.h.
// The Domain must outlive the DataArea and everything made from it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/domain.h"

namespace memdomain {

// One attachment of a peer: its id and the join epoch the server gave it.
// Packed into 32 bits (id < 65536, epoch 16 bits) wherever it is stored.
struct Attachment {
    std::uint32_t id = 0;
    std::uint32_t epoch = 0;  // 1..65535 for a real attachment; 0: nobody
    friend bool operator==(const Attachment&, const Attachment&) = default;
};

struct DataAreaOptions {
    // Used only by the peer that formats the area; everyone else reads them
    // from the superblock (and checks them).
    // Directory entries (names). 0: 128. At most 65536.
    std::uint32_t directory_slots = 0;
    // Bytes per arena slot: a power of two, a multiple of the segment's page
    // size. 0: the page size, at least 1 MiB; smaller (never below the page
    // size) in a domain too small for 16 such slots, bigger in one that
    // would have more than 4096. An arena is one or more adjacent slots.
    std::uint64_t arena_slot_size = 0;
    // The data area holds bytes that are not a data-path layout (e.g. a raw
    // user such as memdomain-ping wrote at offset 0): true formats over them;
    // false (default) refuses with EBADMSG. A valid layout is never
    // reformatted, whatever this says.
    bool format_foreign = false;
    // How long to wait for another peer that is formatting right now.
    std::chrono::milliseconds format_wait{5000};
};

// What attach() found (or made), for tools and tests.
struct DataAreaInfo {
    std::uint64_t data_size = 0;        // bytes in segment 0's data area
    std::uint64_t data_offset = 0;      // where it starts in the segment
    std::uint64_t page_size = 0;        // segment 0's page size
    std::uint64_t directory_offset = 0;
    std::uint32_t directory_slots = 0;
    std::uint64_t arena_table_offset = 0;
    std::uint64_t arena_offset = 0;     // first arena slot
    std::uint64_t arena_slot_size = 0;
    std::uint32_t arena_slots = 0;
    bool formatted_here = false;        // this attach formatted the area
};

// An arena slot as the table shows it (DataArea::arena_slots()).
struct ArenaSlotState {
    std::uint32_t slot = 0;
    std::uint64_t offset = 0;  // data-area offset of the slot
    Attachment owner;          // epoch 0: free
    bool live = false;         // owner is attached with that epoch
};

namespace detail {
class DomainPort;
struct AreaCore;
}  // namespace detail

class DataArea {
public:
    // Validates (or, when the area is unformatted, formats) segment 0's data
    // area of `domain`. Errors:
    //   EBADMSG    the area holds bytes that are neither empty nor a valid
    //              layout (and format_foreign is false), or its superblock
    //              disagrees with the geometry this peer computes
    //   EPROTONOSUPPORT  the layout has another version
    //   EROFS      the area is unformatted and this peer has read-only access
    //   ENOTSUP    the server does not keep per-peer join epochs (too old)
    //   ENOSPC     the data area is too small for the layout (a superblock,
    //              the directory, the arena table and at least one arena)
    //   EINVAL     bad options (slot size not a power of two or not a
    //              multiple of the page size, too many directory slots)
    //   ETIMEDOUT  another live peer has been formatting for format_wait
    //   EOWNERDEAD this peer is not present in the segment header (its
    //              attachment is no longer live, e.g. after a server restart)
    static Result<DataArea> attach(Domain& domain, const DataAreaOptions& options = {});

    DataArea(DataArea&&) noexcept;
    DataArea& operator=(DataArea&&) noexcept;
    ~DataArea();

    const DataAreaInfo& info() const;
    // Our own attachment, read from the segment header at attach.
    Attachment self() const;
    // Whether `a` is attached now with that epoch (reads the header's
    // presence bitmap and epochs; ids out of range are never live).
    bool is_live(Attachment a) const;
    // The start of the data area and its size (the same as Domain::data()).
    std::byte* data() const;
    std::uint64_t size() const;
    // data() + offset when [offset, offset + length) lies in the data area,
    // else nullptr.
    std::byte* at(std::uint64_t offset, std::uint64_t length) const;

    // Every arena slot with its owner (a snapshot; tools and tests).
    std::vector<ArenaSlotState> arena_slots() const;
    // Frees the slots of attachments that are no longer live. Claims do this
    // on their own when they need a slot; this is housekeeping. Returns how
    // many slots were freed. EROFS for a read-only peer.
    Result<std::uint32_t> reclaim_stale_arenas();

    // Internal: the C API attaches through its own port.
    static Result<DataArea> attach_port(std::unique_ptr<detail::DomainPort> port, const DataAreaOptions& options);
    detail::AreaCore& core() const;

private:
    explicit DataArea(std::unique_ptr<detail::AreaCore> core);
    std::unique_ptr<detail::AreaCore> core_;
};

}  // namespace memdomain
