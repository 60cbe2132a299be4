// The IOVA of each page of an arena, as DPDK's heap wants them
// (rte_malloc_heap_memory_add's iova_addrs): which source applies depends on
// the EAL's IOVA mode and on how the domain is reached (see heap.h).
#pragma once

#include <rte_memory.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/dpdk/heap.h"
#include "shared_domain.h"

namespace memdomain::dpdk {

struct IovaTable {
    md_dpdk_iova_source source = MD_DPDK_IOVA_NONE;
    std::vector<rte_iova_t> iovas;  // one per page; empty for NONE
};

// IOVAs for [base, base + size), `page` bytes per entry. `base` lies in
// segment 0 of `shared`'s domain. Errors: EPERM (pagemap without
// CAP_SYS_ADMIN shows no frame numbers), ENODEV (the ivshmem device of the
// domain is not found in sysfs), EIO (a page is not present), or the system
// error of the read.
Result<IovaTable> arena_iovas(SharedDomain& shared, std::byte* base, std::uint64_t size, std::uint64_t page);

// For tests: the physical address of one mapped byte from /proc/self/pagemap.
Result<std::uint64_t> pagemap_physical(const void* va);

}  // namespace memdomain::dpdk
