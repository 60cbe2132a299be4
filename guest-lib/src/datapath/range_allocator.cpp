// RangeAllocator: first fit over an ordered map of free ranges.
#include "range_allocator.h"

#include <string>

namespace memdomain::detail {

RangeAllocator::RangeAllocator(std::uint64_t begin, std::uint64_t size) : free_bytes_(size) {
    if (size > 0) free_.emplace(begin, size);
}

Result<std::uint64_t> RangeAllocator::alloc(std::uint64_t size, std::uint64_t align) {
    // Lengths are kept in whole cache lines, so two allocations never share one.
    if (size > (std::uint64_t{1} << 62)) return make_error("allocation too large", ENOMEM);
    const std::uint64_t len = (size + 63) / 64 * 64;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
        const std::uint64_t start = it->first, end = it->first + it->second;
        const std::uint64_t at = (start + align - 1) / align * align;
        if (at < start || at > end || end - at < len) continue;
        free_.erase(it);
        if (at > start) free_.emplace(start, at - start);
        if (at + len < end) free_.emplace(at + len, end - (at + len));
        used_.emplace(at, len);
        free_bytes_ -= len;
        used_bytes_ += len;
        return at;
    }
    return make_error("no free range of " + std::to_string(size) + " bytes aligned to " + std::to_string(align),
                      ENOMEM);
}

Status RangeAllocator::free(std::uint64_t offset) {
    auto u = used_.find(offset);
    if (u == used_.end()) return make_error("offset " + std::to_string(offset) + " is not allocated", EINVAL);
    std::uint64_t start = u->first, len = u->second;
    used_.erase(u);
    free_bytes_ += len;
    used_bytes_ -= len;
    // Merge with the free neighbours on both sides.
    auto next = free_.lower_bound(start);
    if (next != free_.end() && start + len == next->first) {
        len += next->second;
        next = free_.erase(next);
    }
    if (next != free_.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == start) {
            start = prev->first;
            len += prev->second;
            free_.erase(prev);
        }
    }
    free_.emplace(start, len);
    return {};
}

}  // namespace memdomain::detail
