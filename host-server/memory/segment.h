// One segment of a domain instance: a sealed memfd in (huge)page memory
// whose first 4 KiB hold the SegmentHeader. The server keeps the fd (to hand
// out, and to store in the service manager's fd store so the memory outlives
// a crash) and a mapping of the header area (header + doorbell mailbox: the
// presence table, the control plane's counters). The data area is never
// mapped by the server after creation and never zeroed again.
//
// Every R/W peer can write the header and the mailbox, so the server never
// reads a size, an offset or a count back from them. It keeps its own copy
// of the segment's spec and geometry, of the presence table and of the join
// epochs, and only ever *stores* those into the header; the one thing it
// reads is a mailbox counter, at an offset it computed from its own
// geometry, and that value is only reported, never used.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// What the memory of a segment embodies and cannot change without being
// made anew: its place among the domain's segments, page size, size,
// access, the header's layout (vectors, max_peers), the instance kind,
// contiguity and map address. Neither the identity (domain name,
// generation, NUMA node) nor how it was faulted at creation (prefault) is
// geometry.
//
// geometry_differences is the only place that decides "same geometry":
// adoption after a restart, reload and the stored-header tamper check all
// ask it. One entry per field that differs, named with its config key.
struct GeometryDifference {
    std::string key;     // type, vectors, max_peers, contiguous, vaddr, segments,
                         // segment index, page size, size, access
    bool per_segment;    // page size, size, access, segment index: a property of one segment
    std::string before, after;
};
std::vector<GeometryDifference> geometry_differences(const SegmentSpec& before, const SegmentSpec& after);
inline bool same_geometry(const SegmentSpec& a, const SegmentSpec& b) { return geometry_differences(a, b).empty(); }

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

    // Where the mailbox and the data area are: computed from spec(), never
    // read from the header.
    const SegmentGeometry& geometry() const { return geometry_; }

    // The header as peers see it (tests and the fuzz target look at it; the
    // server itself only stores into it).
    SegmentHeader* header() const { return static_cast<SegmentHeader*>(header_map_.data()); }
    // Sets or clears `peer`'s presence bit (ignored for peer >= max_peers)
    // in the server's own table, then publishes that table's word, the
    // count and a new sequence number into the header.
    void set_present(std::uint32_t peer, bool present);
    // A new join epoch for `peer` (see SegmentHeader::peer_epoch), from the
    // server's own record, published into the header.
    void begin_attachment(std::uint32_t peer);
    // The mailbox counter a notifier bumps before ringing (peer, vector): how
    // many doorbells libmemdomain peers rang there. Its offset comes from
    // the server's geometry; the value is whatever a peer wrote. 0 when
    // peer >= max_peers or vector >= vectors.
    std::uint64_t mailbox_count(std::uint32_t peer, std::uint32_t vector) const;
    // Peers the server's own presence table lists.
    std::uint64_t present_count() const { return peer_count_; }

private:
    Segment() = default;
    // Computes geometry_ from spec_ and maps the header area.
    Status map_header_area();
    // Writes the header for spec_ (presence empty), leaving the mailbox be.
    Status rewrite_header();
    SegmentSpec spec_;
    SegmentGeometry geometry_{};
    std::shared_ptr<const sys::UniqueFd> fd_;
    sys::Mapping header_map_;
    // The server's own record of what it publishes in the header.
    std::array<std::uint64_t, kMaxPeers / 64> presence_{};
    std::uint64_t peer_count_ = 0;
    std::uint64_t presence_seq_ = 0;
    std::array<std::uint16_t, kMaxPeers> epochs_{};
};

// The page-size step at which `map_address` places segment i after the
// segments before it: the base for segment 0, then each one after the end of
// the previous one, rounded up to its own page size.
std::uint64_t place_segment(std::uint64_t previous_end, std::uint64_t page_size);

}  // namespace memdomain::server
