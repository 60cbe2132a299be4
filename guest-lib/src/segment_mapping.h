// Where a segment goes in this process, shared by both transports. A segment
// whose header carries a map_address (the config's "vaddr": the domain holds
// pointers that are only meaningful at one address) must be mapped exactly
// there, or not at all; any other segment goes wherever the kernel puts it.
//
// The address is asked for with MAP_FIXED_NOREPLACE (sys::map_shared), so a
// range already used by something else in this process is an EEXIST error
// naming the domain, the segment and the range, never a silent replacement of
// the other mapping (which MAP_FIXED would do) and never a mapping somewhere
// else (which a plain hint would do).
//
// Internal to libmemdomain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"

namespace memdomain::detail {

// Maps `header.segment_size` bytes of `fd` from `offset` at header.map_address
// (which must not be 0: use sys::map_shared for "anywhere"). `header` is a
// validated copy. Errors: EEXIST when the range is taken ("... something else
// is mapped there in this process"), EACCES/EPERM when `prot` is more than
// the fd allows (the caller may retry read-only), else the system error of
// mmap; each message names the domain, the segment and the range.
Result<sys::Mapping> map_segment_at(int fd, sys::Protection prot, std::uint64_t offset, const SegmentHeader& header);

// The same, read-write when `want_write` and the fd allows it, else
// read-only. `*writable` says which it became.
Result<sys::Mapping> map_segment_at_best(int fd, bool want_write, std::uint64_t offset, const SegmentHeader& header,
                                         bool* writable);

// The public view of a mapped segment, from its validated header.
SegmentView segment_view(const SegmentHeader& header, std::byte* base, Access access);

}  // namespace memdomain::detail
