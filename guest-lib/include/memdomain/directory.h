// Named objects in a domain: a small directory inside the DataArea
// (data_area.h) where peers publish (name -> offset, size, type) so others
// find their rings and buffers by name.
//
//   memdomain::Directory dir(area);
//   dir.publish("rx-ring", off, size, 7);
//   auto e = dir.lookup("rx-ring");      // any peer, host or VM
//
// Each entry is 128 bytes with a state word holding (kind, sequence,
// owner id, owner epoch). Publishing is lock-free:
//   1. claim a free entry (or a dead owner's) by compare-and-swap to
//      WRITING(me, seq+1);
//   2. write offset, size, type and name, then move to NAMED;
//   3. look for another NAMED or VALID entry with the same name (after a
//      full fence, so of two concurrent publishers at least one sees the
//      other): a VALID one means EEXIST; a NAMED one at a higher index
//      backs off; at a lower index we wait for it to finish or back off;
//   4. move to VALID.
// Lookups return VALID entries of live owners only, read seqlock-style
// (state, fields, state again), so a peer killed mid-publish leaves an entry
// that is WRITING or NAMED with a dead owner: it never reads as valid, and
// the next publisher takes it over. Entries of dead owners are withdrawn by
// anyone (withdraw_stale), or taken over when a slot is needed.
//
// Names: 1..63 bytes of printable ASCII without spaces.
// Types: a number the publisher chooses; 0x4d440000..0x4d44ffff ("MD") are
// the library's (kDirectoryTypeChannel).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/data_area.h"

namespace memdomain {

inline constexpr std::size_t kDirectoryNameMax = 63;
inline constexpr std::uint32_t kDirectoryTypeChannel = 0x4d444368;  // "MDCh"

struct DirectoryEntry {
    std::string name;
    std::uint64_t offset = 0;  // data-area offset
    std::uint64_t size = 0;
    std::uint32_t type = 0;
    std::uint32_t slot = 0;    // entry index
    Attachment owner;
    bool live = false;         // owner attached with that epoch
};

class Directory {
public:
    // A view: cheap to make, holds no state of its own. `area` must outlive it.
    explicit Directory(const DataArea& area);

    // Publishes `name` for [offset, offset + size) of the data area. Errors:
    //   EINVAL   bad name, or the range is empty or outside the data area
    //   EEXIST   a live entry of that name exists (another publisher won)
    //   ENOSPC   every entry is taken by a live owner
    //   EROFS    read-only peer
    //   EAGAIN   a concurrent publisher of the same name neither finished nor
    //            backed off within a second (it may be stopped): retry
    //   EOWNERDEAD  our own attachment is no longer live
    Status publish(std::string_view name, std::uint64_t offset, std::uint64_t size, std::uint32_t type = 0);
    // The live entry named `name`. ENOENT when there is none (or only a dead
    // owner's), EINVAL for a bad name. The returned range lies in the data
    // area (checked), but its bytes are whatever the publisher wrote.
    Result<DirectoryEntry> lookup(std::string_view name) const;
    // Withdraws our own entry `name`, or any entry of that name whose owner
    // is dead. ENOENT (none), EPERM (a live peer's), EROFS, EINVAL.
    Status withdraw(std::string_view name);
    // Withdraws every entry of a dead owner (including ones killed
    // mid-publish). Returns how many. EROFS for a read-only peer.
    Result<std::uint32_t> withdraw_stale();
    // Every VALID entry, live or not (a snapshot; tools and tests).
    std::vector<DirectoryEntry> list() const;

private:
    const DataArea* area_;
};

}  // namespace memdomain
