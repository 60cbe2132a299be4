// Physical frames behind a mapping, and whether they are contiguous: a
// device doing DMA without an IOMMU, or a guest told "this BAR is one block",
// needs the segment to be physically contiguous, and only the host can check.
//
// The source is /proc/<pid>/pagemap: one 64-bit entry per 4 KiB virtual
// page at file offset (vaddr / 4096) * 8; bit 63 = present, bits 0-54 = page
// frame number (PFN). The kernel shows PFNs only to CAP_SYS_ADMIN and zero
// to everyone else. For a page_size larger than 4096 (a hugepage) one entry
// per page_size step is read: the PFN of each hugepage's first 4 KiB; the
// hugepage itself is contiguous by construction.
//
// The pagemap path is a parameter so tests can write a fake file with the
// entries at those offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::placement {

inline constexpr std::uint64_t kPagemapPresent = 1ULL << 63;
inline constexpr std::uint64_t kPagemapPfnMask = (1ULL << 55) - 1;

// The PFN of every page_size step of [addr, addr+len) (len rounded up).
// Errors, each naming the page index and address:
//   ENOENT  a page is not present: "prefault first" (write each page);
//   EPERM   present pages read with PFN 0: the caller lacks CAP_SYS_ADMIN;
//   EINVAL  page_size 0 or not a multiple of 4096;
//   EIO     the pagemap file ends before the entry;
//   the errno of open/pread, naming the pagemap path.
Result<std::vector<std::uint64_t>> physical_frames(const void* addr, std::size_t len, std::uint64_t page_size,
                                                   const std::string& pagemap_path = "/proc/self/pagemap");

// Every frame follows the previous one by page_size / 4096 PFNs. An empty or
// one-frame list is contiguous. Otherwise the error (sys 0: not an OS
// failure) says "not physically contiguous" and names the first
// discontinuity: the page index, its PFN and the PFN it should have had
// after the previous page's. EINVAL for a bad page_size.
Status check_contiguous(const std::vector<std::uint64_t>& frames, std::uint64_t page_size);

}  // namespace memdomain::placement
