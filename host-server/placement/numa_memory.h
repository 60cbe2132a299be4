// Binding a mapping's memory to one NUMA node, and asking the kernel where
// its pages are. Thin wrappers of mbind, move_pages and get_mempolicy
// (<numaif.h>, libnuma), each called here and nowhere else.
//
// What a binding sticks to depends on the memory behind the mapping:
//   - shmem (a plain 4K memfd): mbind on a MAP_SHARED mapping sets a shared
//     policy on the memfd object itself (shmem's set_policy). It holds for
//     every process that maps the memfd, whoever faults a page first, and
//     every mapping of that range reports it through get_mempolicy.
//   - hugetlb (an MFD_HUGETLB memfd): hugetlbfs keeps no shared policy. The
//     policy lives on the calling process's VMA only, and a hugepage is
//     allocated by the policy of the VMA of the task that faults it first. So
//     bind in the server's own mapping and prefault there, before any peer
//     maps the memory; a page a peer faults in later follows the peer's
//     policy (by default its local node). hugetlb reservations are not
//     per node: a bound fault on a node with no free hugepage gets SIGBUS.
//
// bind_to_node passes MPOL_MF_MOVE | MPOL_MF_STRICT: pages already present
// and used only by this process are migrated to the node, and the call fails
// with EIO if some cannot be (a shmem page also mapped by another process
// needs MPOL_MF_MOVE_ALL and CAP_SYS_NICE, which we do not ask for). On
// memory not faulted yet (the server binds right after mmap) both flags are
// no-ops and only the policy is set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::placement {

// mbind(addr, len, MPOL_BIND, {node}, MPOL_MF_MOVE | MPOL_MF_STRICT).
// addr must be page aligned. Errors (errno of mbind, message naming the
// range and node): EINVAL (unaligned, node out of range), EFAULT (range not
// mapped), EIO (present pages could not be moved), ENOMEM.
Status bind_to_node(void* addr, std::size_t len, int node);

// Where each page of [addr, addr+len) is, one entry per page_size step
// (len rounded up): move_pages(0, n, pages, NULL, status, 0) in query mode.
// An entry >= 0 is the page's node. A negative entry is the kernel's -errno
// for that page, kept as is rather than turned into an error so a caller
// sees which pages are missing: -ENOENT not present (not faulted yet),
// -EFAULT not mapped (or the zero page). The call itself fails with EINVAL
// for page_size 0 or not a multiple of 4096, or with move_pages' errno.
Result<std::vector<int>> page_nodes(const void* addr, std::size_t len, std::uint64_t page_size);

// The node holding the page at addr: get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR).
// If no page is there yet, the kernel faults one in as a read would, under
// the mapping's policy. Errors: EFAULT (addr not mapped), EINVAL.
Result<int> policy_node(const void* addr);

// The policy governing addr (get_mempolicy(MPOL_F_ADDR)): its mode
// (MPOL_DEFAULT, MPOL_BIND, ...) and node set, e.g. to check a binding held.
struct MemoryPolicy {
    int mode = 0;
    std::vector<int> nodes;  // ascending; empty for MPOL_DEFAULT/MPOL_LOCAL
};
Result<MemoryPolicy> address_policy(const void* addr);

}  // namespace memdomain::placement
