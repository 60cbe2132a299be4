// One segment of a domain instance: a sealed memfd in (huge)page memory
// whose first 4 KiB hold the SegmentHeader. The server keeps the fd (to hand
// out, and to store in the service manager's fd store so the memory outlives
// a crash) and a mapping of the header area (header + doorbell mailbox: the
// presence table, the control plane's counters). The data area is never
// mapped by the server after creation and never zeroed again.
#pragma once

#include <atomic>
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
    std::uint64_t map_address = 0;  // config "vaddr" (already placed for this segment), 0: anywhere
    InstanceKind kind = InstanceKind::Shared;
    std::int32_t numa_node = -1;  // recorded in the header; -1: none
    bool bind_numa = false;       // mbind the memory to numa_node before it is faulted
    bool contiguous = false;      // prefault, then refuse unless physically contiguous
};

// The header a segment of this spec carries.
SegmentHeaderSpec header_spec(const SegmentSpec& spec);

// A random, non-zero generation for a new domain instance.
std::uint64_t new_generation();

class Segment {
public:
    // Creates, sizes and seals the memfd, binds it to a NUMA node, writes the
    // header, prefaults when asked and checks contiguity when asked. Errors
    // name the domain and, for hugepages, say ENOMEM plainly. `progress`,
    // when given, counts the bytes prefaulted so far (another thread may
    // read it).
    static Result<Segment> create(const SegmentSpec& spec, std::atomic<std::uint64_t>* progress = nullptr);
    // Takes over a segment a previous server process created (handed back
    // by the fd store): checks the seals and the size, and clears the
    // presence table (the peers it lists were the old process's). The data
    // area and the mailbox are not touched.
    //
    // The header lies in memory every R/W peer can write, so it is not
    // trusted: with `recorded` (the spec the old process saved in its state)
    // the header is rewritten from it, and a difference is reported through
    // `tampered`; without, the header is validated and its spec taken.
    static Result<Segment> adopt(sys::UniqueFd fd, const SegmentSpec* recorded = nullptr,
                                 std::string* tampered = nullptr);

    const SegmentSpec& spec() const { return spec_; }
    std::uint64_t generation() const { return spec_.generation; }
    // The read-write memfd, shared with queued messages that carry it.
    const std::shared_ptr<const sys::UniqueFd>& fd() const { return fd_; }
    // An O_RDONLY descriptor of the same memory, for read-only grants: the
    // kernel refuses PROT_WRITE mappings and mprotect upgrades of it.
    Result<sys::UniqueFd> open_read_only() const;
    // Bytes of the segment backed by memory right now.
    std::uint64_t resident_bytes() const;

    SegmentHeader* header() const { return static_cast<SegmentHeader*>(header_map_.data()); }
    void set_present(std::uint32_t peer, bool present) { header_set_present(header(), peer, present); }
    // A new join epoch for `peer` (see SegmentHeader::peer_epoch).
    void begin_attachment(std::uint32_t peer) { header_bump_peer_epoch(header(), peer); }
    // The mailbox counter a notifier bumps before ringing (peer, vector): how
    // many doorbells libmemdomain peers rang there. 0 when out of range.
    std::uint64_t mailbox_count(std::uint32_t peer, std::uint32_t vector) const;

private:
    Segment() = default;
    Status map_header_area();
    // Writes the header for spec_ (presence empty), leaving the mailbox be.
    Status rewrite_header();
    SegmentSpec spec_;
    std::shared_ptr<const sys::UniqueFd> fd_;
    sys::Mapping header_map_;
};

// The page-size step at which `map_address` places segment i after the
// segments before it: the base for segment 0, then each one after the end of
// the previous one, rounded up to its own page size.
std::uint64_t place_segment(std::uint64_t previous_end, std::uint64_t page_size);

}  // namespace memdomain::server
