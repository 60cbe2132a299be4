#include "memory/segment.h"

#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include <fmt/format.h>

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

// A validated header's spec: only for comparing with the server's record,
// or, for stored memory without a record, after validation against the
// memfd's real size.
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

const char* kind_name(InstanceKind k) {
    switch (k) {
        case InstanceKind::Shared: return "shared";
        case InstanceKind::Local: return "local";
        case InstanceKind::Numa: return "numa";
    }
    return "?";
}

std::string address_name(std::uint64_t a) { return a == 0 ? std::string("none") : fmt::format("{:#x}", a); }

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

std::vector<GeometryDifference> geometry_differences(const SegmentSpec& a, const SegmentSpec& b) {
    std::vector<GeometryDifference> out;
    auto differ = [&](const char* key, bool per_segment, const std::string& before, const std::string& after) {
        if (before != after) out.push_back({key, per_segment, before, after});
    };
    auto access = [](SegmentAccess x) { return std::string(x == SegmentAccess::ReadWrite ? "R/W" : "R/O"); };
    auto yes_no = [](bool x) { return std::string(x ? "yes" : "no"); };
    differ("type", false, kind_name(a.kind), kind_name(b.kind));
    differ("vectors", false, std::to_string(a.vectors), std::to_string(b.vectors));
    differ("max_peers", false, std::to_string(a.max_peers), std::to_string(b.max_peers));
    differ("contiguous", false, yes_no(a.contiguous), yes_no(b.contiguous));
    differ("vaddr", false, address_name(a.map_address), address_name(b.map_address));
    differ("segments", false, std::to_string(a.count), std::to_string(b.count));
    differ("segment index", true, std::to_string(a.index), std::to_string(b.index));
    differ("page size", true, format_size(a.page_size), format_size(b.page_size));
    differ("size", true, format_size(a.size), format_size(b.size));
    differ("access", true, access(a.access), access(b.access));
    return out;
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
        if (tampered != nullptr) {
            if (!h) {
                *tampered = h.error().message;
            } else {
                const SegmentSpec found = spec_from_header(*h);
                const bool same_identity = found.domain == recorded->domain &&
                                           found.generation == recorded->generation &&
                                           found.numa_node == recorded->numa_node &&
                                           found.prefault == recorded->prefault;
                if (!same_identity || !same_geometry(found, *recorded))
                    *tampered = "its header was changed while no server watched";
            }
        }
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
    std::vector<std::byte> scratch(geometry_.data_offset);
    MD_TRY(write_segment_header(scratch.data(), hs));
    // Join epochs carry on from what memory holds (any value is valid, so a
    // scribbled one does no harm), each bumped once: the old process's
    // peers are gone, and records naming them must read as stale. From here
    // on the server keeps them itself. The presence sequence moves on too
    // (the table was just emptied), so a reader that cached it sees a change.
    auto* fresh = reinterpret_cast<SegmentHeader*>(scratch.data());
    for (std::uint32_t id = 0; id < kMaxPeers; ++id) {
        fresh->peer_epoch[id] = header_peer_epoch(header(), id);
        header_bump_peer_epoch(fresh, id);
        epochs_[id] = fresh->peer_epoch[id];
    }
    presence_seq_ = std::atomic_ref<std::uint64_t>(header()->presence_seq).load(std::memory_order_relaxed) + 1;
    fresh->presence_seq = presence_seq_;
    presence_.fill(0);
    peer_count_ = 0;
    std::memcpy(header_map_.data(), scratch.data(), sizeof(SegmentHeader));
    return {};
}

Status Segment::map_header_area() {
    // The geometry comes from our own spec; the mapping covers the header
    // and the mailbox, rounded up to whole pages of the segment.
    MD_ASSIGN_OR_RETURN(geometry_, segment_geometry(header_spec(spec_)));
    const std::uint64_t len = std::min(spec_.size, place_segment(geometry_.data_offset, spec_.page_size));
    MD_ASSIGN_OR_RETURN(header_map_, sys::map_shared(fd_->get(), len, sys::Protection::ReadWrite));
    return {};
}

Result<sys::UniqueFd> Segment::open_read_only() const { return sys::reopen(fd_->get(), O_RDONLY); }

std::uint64_t Segment::resident_bytes() const {
    auto n = sys::fd_allocated_bytes(fd_->get());
    return n ? std::min(*n, spec_.size) : 0;
}

void Segment::set_present(std::uint32_t peer, bool present) {
    if (peer >= spec_.max_peers) return;
    std::uint64_t& word = presence_[peer / 64];
    const std::uint64_t bit = std::uint64_t{1} << (peer % 64);
    if (((word & bit) != 0) == present) return;
    word = present ? word | bit : word & ~bit;
    peer_count_ = present ? peer_count_ + 1 : peer_count_ - 1;
    ++presence_seq_;
    // Stores only: whatever a peer wrote there is overwritten by our record.
    SegmentHeader* h = header();
    std::atomic_ref<std::uint64_t>(h->presence[peer / 64]).store(word, std::memory_order_release);
    std::atomic_ref<std::uint64_t>(h->peer_count).store(peer_count_, std::memory_order_release);
    std::atomic_ref<std::uint64_t>(h->presence_seq).store(presence_seq_, std::memory_order_release);
}

void Segment::begin_attachment(std::uint32_t peer) {
    if (peer >= spec_.max_peers) return;
    std::uint16_t next = static_cast<std::uint16_t>(epochs_[peer] + 1);
    if (next == 0) next = 1;
    epochs_[peer] = next;
    std::atomic_ref<std::uint16_t>(header()->peer_epoch[peer]).store(next, std::memory_order_release);
}

std::uint64_t Segment::mailbox_count(std::uint32_t peer, std::uint32_t vector) const {
    if (peer >= spec_.max_peers || vector >= spec_.vectors) return 0;
    const std::uint64_t offset =
        geometry_.mailbox_offset + std::uint64_t{peer} * kMailboxStride + std::uint64_t{vector} * sizeof(std::uint64_t);
    if (offset + sizeof(std::uint64_t) > header_map_.size()) return 0;  // the mapping covers the mailbox
    auto* word = reinterpret_cast<std::uint64_t*>(header_map_.bytes() + offset);
    return std::atomic_ref<std::uint64_t>(*word).load(std::memory_order_relaxed);
}

}  // namespace memdomain::server
