// First-fit allocation of offset ranges, with coalescing on free. The
// bookkeeping is ordinary private memory of the arena's owner: nothing about
// it lives in shared memory, so no other peer can corrupt it. Internal.
#pragma once

#include <cstdint>
#include <map>

#include "memdomain/common/result.h"

namespace memdomain::detail {

class RangeAllocator {
public:
    RangeAllocator() = default;
    // Manages [begin, begin + size).
    RangeAllocator(std::uint64_t begin, std::uint64_t size);

    // size > 0, align a power of two. ENOMEM when nothing fits.
    Result<std::uint64_t> alloc(std::uint64_t size, std::uint64_t align);
    // EINVAL when `offset` is not an allocation (nothing changes).
    Status free(std::uint64_t offset);
    std::uint64_t bytes_free() const { return free_bytes_; }
    std::uint64_t bytes_allocated() const { return used_bytes_; }

private:
    std::map<std::uint64_t, std::uint64_t> free_;  // offset -> length
    std::map<std::uint64_t, std::uint64_t> used_;  // offset -> length
    std::uint64_t free_bytes_ = 0;
    std::uint64_t used_bytes_ = 0;
};

}  // namespace memdomain::detail
