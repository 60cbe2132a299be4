// Implementation of segment_mapping.h.
#include "segment_mapping.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "memdomain/common/sizes.h"

namespace memdomain::detail {
namespace {

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

// "domain 'X' segment 1 (2M at 0x7f0000000000-0x7f0000200000)"
std::string describe(const SegmentHeader& h) {
    return "domain '" + std::string(header_domain_name(h)) + "' segment " + std::to_string(h.segment_index) + " (" +
           format_size(h.segment_size) + " at " + hex(h.map_address) + "-" + hex(h.map_address + h.segment_size) +
           ", the address its config (vaddr) requires)";
}

}  // namespace

Result<sys::Mapping> map_segment_at(int fd, sys::Protection prot, std::uint64_t offset, const SegmentHeader& h) {
    if (h.map_address == 0) return make_error(describe(h) + ": no map address", EINVAL);
    void* at = reinterpret_cast<void*>(static_cast<std::uintptr_t>(h.map_address));
    auto m = sys::map_shared(fd, h.segment_size, prot, offset, at);
    if (m) return m;
    const Error& e = m.error();
    if (e.sys == EEXIST)
        return make_error("cannot map " + describe(h) + ": something else is mapped there in this process", EEXIST);
    return make_error("cannot map " + describe(h) + ": " + e.message, e.sys);
}

Result<sys::Mapping> map_segment_at_best(int fd, bool want_write, std::uint64_t offset, const SegmentHeader& h,
                                         bool* writable) {
    *writable = false;
    if (want_write) {
        auto rw = map_segment_at(fd, sys::Protection::ReadWrite, offset, h);
        if (rw) {
            *writable = true;
            return rw;
        }
        // An O_RDONLY fd refuses PROT_WRITE: that is how a read-only grant shows.
        if (rw.error().sys != EACCES && rw.error().sys != EPERM) return rw;
    }
    return map_segment_at(fd, sys::Protection::ReadOnly, offset, h);
}

SegmentView segment_view(const SegmentHeader& h, std::byte* base, Access access) {
    SegmentView v;
    v.index = h.segment_index;
    v.base = base;
    v.size = h.segment_size;  // a BAR may be larger (a power of two)
    v.data = base + h.data_offset;
    v.data_size = h.data_size;
    v.page_size = h.page_size;
    v.access = access;
    v.map_address = h.map_address;
    v.numa_node = h.numa_node;
    v.instance_kind = static_cast<InstanceKind>(h.instance_kind);
    v.instance_flags = h.instance_flags;
    return v;
}

}  // namespace memdomain::detail
