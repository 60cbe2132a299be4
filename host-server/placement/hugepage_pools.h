// Why hugepages of one size cannot be had, in words a user can act on. Two
// different situations look alike from a failing system call (memfd_create
// says ENODEV/EINVAL, mmap or a fault says ENOMEM) and need different fixes:
//   - the kernel has no pool of that size at all (no 1G hstate: no
//     /sys/kernel/mm/hugepages/hugepages-1048576kB): nothing at run time can
//     help; boot with hugepagesz=1G or use another page class;
//   - the pool exists but is short: raise its nr_hugepages.
#pragma once

#include <cstdint>
#include <string>

namespace memdomain::placement {

// One sentence naming the pool ("the 1G hugepage pool ...") and which of the
// two it is, with the sysfs knob or the boot parameter to change. Empty when
// the pool has `pages` pages available right now.
std::string hugepage_shortage(std::uint64_t page_size, std::uint64_t pages);

// Whether this kernel has a pool of `page_size` pages at all.
bool hugepage_pool_exists(std::uint64_t page_size);

}  // namespace memdomain::placement
