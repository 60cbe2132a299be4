#include "placement/hugepage_pools.h"

#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::placement {
namespace {

std::string pool_dir(std::uint64_t page_size) {
    return "/sys/kernel/mm/hugepages/hugepages-" + std::to_string(page_size / KiB) + "kB";
}

}  // namespace

bool hugepage_pool_exists(std::uint64_t page_size) { return sys::hugepage_pool(page_size).has_value(); }

std::string hugepage_shortage(std::uint64_t page_size, std::uint64_t pages) {
    const std::string cls = format_size(page_size);
    auto pool = sys::hugepage_pool(page_size);
    if (!pool)
        return "the " + cls + " hugepage pool does not exist: this kernel has no " + cls + " hugepages (no such pool: " +
               pool_dir(page_size) + " is missing; boot with hugepagesz=" + cls + " hugepages=N, or use smaller pages)";
    if (pool->available() >= pages) return {};
    return "the " + cls + " hugepage pool is short: " + std::to_string(pages) + " pages needed, " +
           std::to_string(pool->available()) + " free of " + std::to_string(pool->total) + " (pool " +
           (pool->total == 0 ? "empty" : "exhausted") + "); raise " + pool_dir(page_size) + "/nr_hugepages";
}

}  // namespace memdomain::placement
