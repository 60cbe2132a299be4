// Per-peer arenas: "both processes start allocating memory within their own
// partition, no contention". A peer claims one or more adjacent arena slots
// of a DataArea (data_area.h) and allocates from them without touching any
// other peer's cache lines.
//
//   auto arena = memdomain::Arena::claim(area, 8 << 20);   // >= 8 MiB
//   auto off = arena->alloc(4096);                         // an offset
//   std::byte* p = area.at(*off, 4096);                    // any peer can
//   arena->free(*off);
//
// Claims: each slot's owner word in the arena table holds the claimer's
// (id, epoch); a claim is a compare-and-swap from free (or from an owner that
// is no longer live) to ourselves, slot by slot. A claimer killed half-way
// leaves slots owned by a dead attachment, which the next claimer takes
// over; a new peer that reuses a dead peer's id has a new epoch, so it never
// inherits the old claim.
//
// Allocation: the allocator's bookkeeping lives in the owner's private
// memory, not in the arena. Only the owner allocates, so there is nothing to
// share, and a hostile peer scribbling over the arena's bytes cannot make the
// owner's allocator write out of bounds. The price: a claim does not survive
// its owner (nor should it: a dead owner's arena is reclaimed).
//
// Alignment: the arena starts at a data-area offset that is a multiple of
// the segment's page size from the segment's start, and its size is a
// multiple of the slot size. On a host the segment is mapped page aligned,
// so data() is aligned to page_size(); inside a VM the BAR may be mapped with
// 4 KiB alignment only: va_alignment() says what data() really is aligned to
// (DPDK's rte_malloc_heap_memory_add needs va and length aligned to the page
// size it is given).
//
// An Arena is not thread-safe (its allocator is private state): use one per
// thread or lock. The DataArea must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "memdomain/common/result.h"
#include "memdomain/data_area.h"

namespace memdomain {

class Arena {
public:
    // Claims the first run of adjacent free (or stale) slots that holds at
    // least `min_bytes` (0: one slot). Errors:
    //   EROFS     this peer has read-only access
    //   ENOSPC    no run of that many free slots (every slot is owned by a
    //             live attachment, or min_bytes exceeds the arena area)
    //   EOWNERDEAD this peer's own attachment is no longer live
    static Result<Arena> claim(DataArea& area, std::uint64_t min_bytes = 0);

    Arena(Arena&&) noexcept;
    Arena& operator=(Arena&&) noexcept;
    // Releases the claim (as release()).
    ~Arena();

    std::uint64_t offset() const;  // data-area offset of the first byte
    std::uint64_t size() const;    // bytes, a multiple of the slot size
    std::byte* data() const;       // area.data() + offset()
    std::uint64_t page_size() const;     // the segment's page size
    std::uint64_t va_alignment() const;  // largest power of two <= page_size() dividing data()
    std::uint32_t first_slot() const;
    std::uint32_t slot_count() const;

    // Allocates `size` bytes (> 0) aligned to `align` (a power of two; at
    // least 64, the cache line) and returns the data-area offset. First fit
    // over the free ranges. Errors: EINVAL (size 0, align not a power of two
    // or above the page size), ENOMEM (no free range fits), ENXIO (released).
    Result<std::uint64_t> alloc(std::uint64_t size, std::uint64_t align = 64);
    // Frees an offset alloc() returned. EINVAL when it is not one (nothing
    // changes), ENXIO (released).
    Status free(std::uint64_t offset);
    std::uint64_t bytes_free() const;
    std::uint64_t bytes_allocated() const;

    // True while every slot of the claim still names us and we are live.
    // False after a server restart (epochs are bumped) or when a hostile
    // peer overwrote the table: stop using the arena then.
    bool owned() const;
    // Gives the slots back (only those that still name us). Idempotent.
    void release();

private:
    struct State;
    explicit Arena(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace memdomain
