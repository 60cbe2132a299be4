// One segment of a domain: a sealed memfd in (huge)page memory whose first
// 4 KiB hold the SegmentHeader. The server keeps the fd (to hand out) and a
// mapping of the header page (to maintain the presence table); the data area
// is never mapped by the server after creation and never zeroed again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"

namespace memdomain::server {

struct SegmentSpec {
    std::string domain;
    std::uint32_t index = 0;
    std::uint32_t count = 1;
    std::uint64_t page_size = 4096;
    std::uint64_t size = 0;  // a power of two, a multiple of page_size
    SegmentAccess access = SegmentAccess::ReadWrite;
    std::uint32_t vectors = 1;
    std::uint32_t max_peers = 64;
    bool prefault = true;  // policy = static: fault every page in at creation
    // Shared by every segment of one domain instance, so a guest can tell
    // which devices belong together; 0 draws a fresh random one.
    std::uint64_t generation = 0;
};

// A random, non-zero generation for a new domain instance.
std::uint64_t new_generation();

class Segment {
public:
    // Creates, sizes and seals the memfd, writes the header, prefaults when
    // asked. Errors name the domain and, for hugepages, say ENOMEM plainly.
    static Result<Segment> create(const SegmentSpec& spec);

    const SegmentSpec& spec() const { return spec_; }
    std::uint64_t generation() const { return generation_; }
    // The read-write memfd, shared with queued messages that carry it.
    const std::shared_ptr<const sys::UniqueFd>& fd() const { return fd_; }
    // An O_RDONLY descriptor of the same memory, for read-only grants: the
    // kernel refuses PROT_WRITE mappings and mprotect upgrades of it.
    Result<sys::UniqueFd> open_read_only() const;

    SegmentHeader* header() const { return static_cast<SegmentHeader*>(header_map_.data()); }
    void set_present(std::uint32_t peer, bool present) { header_set_present(header(), peer, present); }

private:
    Segment() = default;
    SegmentSpec spec_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<const sys::UniqueFd> fd_;
    sys::Mapping header_map_;
};

}  // namespace memdomain::server
