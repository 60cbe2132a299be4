#include "memory/segment.h"

#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "memdomain/common/sizes.h"
#include "placement/hugepage_pools.h"
#include "placement/numa_memory.h"
#include "placement/physical_memory.h"

namespace memdomain::server {
namespace {

Error in_domain(const SegmentSpec& s, const Error& e) {
    std::string where = "domain " + s.domain;
    if (s.count > 1) where += " segment " + std::to_string(s.index);
    return make_error(where + ": " + e.message, e.sys);
}

// Prefaults in steps so another thread can show progress.
Status prefault_counted(void* addr, std::uint64_t size, std::uint64_t page_size,
                        std::atomic<std::uint64_t>* progress) {
    const std::uint64_t step = std::max<std::uint64_t>(64 * MiB, page_size);
    auto* base = static_cast<std::byte*>(addr);
    for (std::uint64_t off = 0; off < size; off += step) {
        const std::uint64_t n = std::min(step, size - off);
        MD_TRY(sys::prefault(base + off, n, page_size));
        if (progress != nullptr) progress->fetch_add(n, std::memory_order_relaxed);
    }
    return {};
}

}  // namespace

namespace {


SegmentSpec spec_from_header(const SegmentHeader& h) {
    SegmentSpec s;
    s.domain = std::string(header_domain_name(h));
    s.index = h.segment_index;
    s.count = h.segment_count;
    s.page_size = h.page_size;
    s.size = h.segment_size;
    s.access = static_cast<SegmentAccess>(h.access);
    s.vectors = h.vectors;
    s.max_peers = h.max_peers;
    s.prefault = (h.instance_flags & kInstancePrefaulted) != 0;
    s.generation = h.generation;
    s.map_address = h.map_address;
    s.kind = static_cast<InstanceKind>(h.instance_kind);
    s.numa_node = h.numa_node;
    s.contiguous = (h.instance_flags & kInstanceContiguous) != 0;
    return s;
}

bool same_spec(const SegmentSpec& a, const SegmentSpec& b) {
    return a.domain == b.domain && a.index == b.index && a.count == b.count && a.page_size == b.page_size &&
           a.size == b.size && a.access == b.access && a.vectors == b.vectors && a.max_peers == b.max_peers &&
           a.prefault == b.prefault && a.generation == b.generation && a.map_address == b.map_address &&
           a.kind == b.kind && a.numa_node == b.numa_node && a.contiguous == b.contiguous;
}

}  // namespace

SegmentHeaderSpec header_spec(const SegmentSpec& s) {
    SegmentHeaderSpec hs;
    hs.domain_name = s.domain;
    hs.segment_index = s.index;
    hs.segment_count = s.count;
    hs.page_size = s.page_size;
    hs.segment_size = s.size;
    hs.generation = s.generation;
    hs.access = s.access;
    hs.vectors = s.vectors;
    hs.max_peers = s.max_peers;
    hs.map_address = s.map_address;
    hs.numa_node = s.numa_node;
    hs.instance_kind = s.kind;
    hs.instance_flags = (s.prefault ? kInstancePrefaulted : 0u) | (s.contiguous ? kInstanceContiguous : 0u);
    return hs;
}

std::uint64_t new_generation() {
    std::uint64_t g = 0;
    while (g == 0)
        if (::getrandom(&g, sizeof g, 0) != sizeof g) g = static_cast<std::uint64_t>(::time(nullptr));
    return g;
}

std::uint64_t place_segment(std::uint64_t previous_end, std::uint64_t page_size) {
    return (previous_end + page_size - 1) / page_size * page_size;
}

Result<Segment> Segment::create(const SegmentSpec& spec, std::atomic<std::uint64_t>* progress) {
    Segment seg;
    seg.spec_ = spec;
    if (seg.spec_.generation == 0) seg.spec_.generation = new_generation();
    if (spec.contiguous) seg.spec_.prefault = true;  // contiguity is checked on faulted pages
    const SegmentSpec& s = seg.spec_;
    auto fail = [&](const Error& e) { return in_domain(s, e); };

    const std::uint64_t pages = s.size / s.page_size;
    // A hugepage failure says which pool and why, whichever call hit it: a
    // kernel without the page size fails memfd_create (ENODEV or EINVAL),
    // an empty pool fails the mmap or a fault (ENOMEM).
    auto pool_error = [&](const Error& e) {
        std::string why = s.page_size > 4 * KiB ? placement::hugepage_shortage(s.page_size, pages) : std::string();
        if (why.empty()) return fail(e);
        return fail(make_error(why + " (" + e.message + ")", ENOMEM));
    };
    auto fd = sys::memfd_create("memdomain:" + s.domain + "#" + std::to_string(s.index), s.page_size);
    if (!fd) return pool_error(fd.error());
    // Mode 0600 before anything else: otherwise a client holding our
    // O_RDONLY descriptor could reopen /proc/<its pid>/fd/N read-write.
    if (auto st = sys::chmod_fd(fd->get(), 0600); !st) return fail(st.error());
    if (auto st = sys::ftruncate(fd->get(), s.size); !st) return fail(st.error());
    if (auto st = sys::seal_size(fd->get()); !st) return fail(st.error());

    // Map everything once: bind, write the header, prefault if static, then
    // keep only the header area mapped.
    auto whole = sys::map_shared(fd->get(), s.size, sys::Protection::ReadWrite);
    if (!whole) return whole.error().sys == ENOMEM ? pool_error(whole.error()) : fail(whole.error());
    if (s.bind_numa && s.numa_node >= 0)
        if (auto st = placement::bind_to_node(whole->data(), s.size, s.numa_node); !st) return fail(st.error());
    if (auto st = write_segment_header(whole->data(), header_spec(s)); !st) return fail(st.error());
    if (s.prefault) {
        if (auto st = prefault_counted(whole->data(), s.size, s.page_size, progress); !st) {
            if (st.error().sys == ENOMEM || st.error().sys == EFAULT)
                return fail(make_error("prefaulting " + format_size(s.size) + " of " + format_size(s.page_size) +
                                           " pages failed (" + st.error().message +
                                           "): the pool or the NUMA node is out of memory",
                                       ENOMEM));
            return fail(st.error());
        }
    } else if (progress != nullptr) {
        progress->fetch_add(s.size, std::memory_order_relaxed);
    }
    if (s.contiguous) {
        auto frames = placement::physical_frames(whole->data(), s.size, s.page_size);
        if (!frames)
            return fail(make_error("contiguous = yes: cannot read physical addresses: " + frames.error().message,
                                   frames.error().sys));
        if (auto st = placement::check_contiguous(*frames, s.page_size); !st)
            return fail(make_error("contiguous = yes: the kernel gave " + format_size(s.size) +
                                       " that is not physically contiguous (" + st.error().message + ")",
                                   ENOMEM));
    }
    whole->reset();

    seg.fd_ = std::make_shared<const sys::UniqueFd>(std::move(fd).value());
    if (auto st = seg.map_header_area(); !st) return fail(st.error());
    return seg;
}


Result<Segment> Segment::adopt(sys::UniqueFd fd, const SegmentSpec* recorded, std::string* tampered) {
    MD_ASSIGN_OR_RETURN(const int seals, sys::get_seals(fd.get()));
    constexpr int kNeeded = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
    if ((seals & kNeeded) != kNeeded) return make_error("stored segment is not sealed: not one of ours", EINVAL);
    MD_ASSIGN_OR_RETURN(const std::uint64_t size, sys::fd_size(fd.get()));
    // The size is a power of two and a whole number of pages, so the first
    // min(size, 1 GiB) is a valid mapping length for every page class.
    auto head = sys::map_shared(fd.get(), std::min<std::uint64_t>(size, 1 * GiB), sys::Protection::ReadOnly);
    if (!head) return make_error("stored segment: " + head.error().message, head.error().sys);
    auto h = validate_segment_header(head->data(), size);
    head->reset();
    Segment seg;
    if (recorded != nullptr) {
        if (recorded->size != size)
            return make_error("stored segment is " + std::to_string(size) + " bytes, its record says " +
                                  std::to_string(recorded->size),
                              EINVAL);
        seg.spec_ = *recorded;
        if (tampered != nullptr && (!h || !same_spec(spec_from_header(*h), *recorded)))
            *tampered = h ? "its header was changed while no server watched" : h.error().message;
    } else {
        if (!h) return std::move(h).error();
        seg.spec_ = spec_from_header(*h);
        if (size != seg.spec_.size) return make_error("stored segment: file size does not match its header", EINVAL);
    }
    seg.fd_ = std::make_shared<const sys::UniqueFd>(std::move(fd));
    MD_TRY(seg.map_header_area());
    // The server is the header's only writer: write it again, which also
    // empties the presence table (its peers were the old process's).
    MD_TRY(seg.rewrite_header());
    return seg;
}

Status Segment::rewrite_header() {
    const SegmentHeaderSpec hs = header_spec(spec_);
    MD_ASSIGN_OR_RETURN(const SegmentGeometry g, segment_geometry(hs));
    std::vector<std::byte> scratch(g.data_offset);
    MD_TRY(write_segment_header(scratch.data(), hs));
    // Join epochs carry on from what memory holds (any value is valid, so a
    // scribbled one does no harm), each bumped once: the old process's
    // peers are gone, and records naming them must read as stale.
    auto* fresh = reinterpret_cast<SegmentHeader*>(scratch.data());
    for (std::uint32_t id = 0; id < kMaxPeers; ++id) {
        fresh->peer_epoch[id] = header_peer_epoch(header(), id);
        header_bump_peer_epoch(fresh, id);
    }
    std::memcpy(header_map_.data(), scratch.data(), sizeof(SegmentHeader));
    return {};
}

Status Segment::map_header_area() {
    // Header and mailbox, rounded up to whole pages of the segment.
    SegmentHeaderSpec hs;
    hs.segment_size = spec_.size;
    hs.vectors = spec_.vectors;
    hs.max_peers = spec_.max_peers;
    MD_ASSIGN_OR_RETURN(const SegmentGeometry g, segment_geometry(hs));
    const std::uint64_t len = std::min(spec_.size, place_segment(g.data_offset, spec_.page_size));
    MD_ASSIGN_OR_RETURN(header_map_, sys::map_shared(fd_->get(), len, sys::Protection::ReadWrite));
    return {};
}

Result<sys::UniqueFd> Segment::open_read_only() const { return sys::reopen(fd_->get(), O_RDONLY); }

std::uint64_t Segment::resident_bytes() const {
    auto n = sys::fd_allocated_bytes(fd_->get());
    return n ? std::min(*n, spec_.size) : 0;
}

std::uint64_t Segment::mailbox_count(std::uint32_t peer, std::uint32_t vector) const {
    SegmentHeader h{};
    std::memcpy(&h, header(), sizeof h);
    const std::uint64_t* w = mailbox_word(header_map_.data(), h, peer, vector);
    if (w == nullptr) return 0;
    return std::atomic_ref<const std::uint64_t>(*w).load(std::memory_order_relaxed);
}

}  // namespace memdomain::server
