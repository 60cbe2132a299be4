#include "memdomain/common/segment_header.h"

#include <cstring>
#include <string>

#include "memdomain/common/names.h"
#include "memdomain/common/sizes.h"

namespace memdomain {
namespace {

std::atomic_ref<std::uint64_t> atomic_word(std::uint64_t& w) { return std::atomic_ref<std::uint64_t>(w); }

bool valid_page_size(std::uint64_t p) { return p == 4 * KiB || p == 2 * MiB || p == 1 * GiB; }

Error bad(const std::string& what) { return make_error("invalid segment header: " + what, EINVAL); }

}  // namespace

Result<SegmentGeometry> segment_geometry(const SegmentHeaderSpec& spec) {
    if (spec.max_peers == 0 || spec.max_peers > kMaxPeers)
        return make_error("max peers must be 1.." + std::to_string(kMaxPeers), EINVAL);
    if (spec.vectors == 0 || spec.vectors > kMaxVectors)
        return make_error("vectors must be 1.." + std::to_string(kMaxVectors), EINVAL);
    SegmentGeometry g{};
    g.mailbox_offset = kHeaderAreaSize;
    g.mailbox_size = std::uint64_t{spec.max_peers} * kMailboxStride;
    g.data_offset = round_up(g.mailbox_offset + g.mailbox_size, 4 * KiB);
    if (spec.segment_size <= g.data_offset)
        return make_error("segment of " + format_size(spec.segment_size) + " cannot hold its " +
                              std::to_string(g.data_offset) + "-byte header and doorbell mailbox",
                          EINVAL);
    g.data_size = spec.segment_size - g.data_offset;
    return g;
}

Status write_segment_header(void* dst, const SegmentHeaderSpec& spec) {
    MD_TRY(validate_domain_name(spec.domain_name));
    if (!valid_page_size(spec.page_size)) return make_error("page size must be 4K, 2M or 1G", EINVAL);
    if (spec.segment_count == 0 || spec.segment_index >= spec.segment_count)
        return make_error("segment index out of range", EINVAL);
    MD_ASSIGN_OR_RETURN(SegmentGeometry g, segment_geometry(spec));

    auto* h = static_cast<SegmentHeader*>(dst);
    std::memset(h, 0, sizeof *h);
    std::memcpy(h->magic, kSegmentMagic, sizeof h->magic);
    h->layout_version = kLayoutVersion;
    h->header_size = sizeof(SegmentHeader);
    std::memcpy(h->domain_name, spec.domain_name.data(), spec.domain_name.size());
    h->segment_index = spec.segment_index;
    h->segment_count = spec.segment_count;
    h->page_size = spec.page_size;
    h->segment_size = spec.segment_size;
    h->data_offset = g.data_offset;
    h->data_size = g.data_size;
    h->generation = spec.generation;
    h->access = static_cast<std::uint32_t>(spec.access);
    h->vectors = spec.vectors;
    h->max_peers = spec.max_peers;
    h->mailbox_offset = g.mailbox_offset;
    h->mailbox_size = g.mailbox_size;
    h->map_address = spec.map_address;
    h->numa_node = spec.numa_node;
    h->instance_kind = static_cast<std::uint32_t>(spec.instance_kind);
    h->instance_flags = spec.instance_flags;
    h->flags = kHeaderPeerEpochs;
    std::memset(static_cast<std::byte*>(dst) + g.mailbox_offset, 0, g.mailbox_size);
    return {};
}

Result<SegmentHeader> validate_segment_header(const void* src, std::uint64_t mapped_size) {
    if (src == nullptr || mapped_size < sizeof(SegmentHeader))
        return bad("mapping of " + std::to_string(mapped_size) + " bytes is smaller than a header");
    // Copy first: a peer may change the live header while we check it.
    SegmentHeader h;
    std::memcpy(&h, src, sizeof h);
    if (std::memcmp(h.magic, kSegmentMagic, sizeof h.magic) != 0)
        return bad("magic is not MEMDOMN1 (not a memdomain segment, or overwritten)");
    if (h.layout_version != kLayoutVersion)
        return bad("layout version " + std::to_string(h.layout_version) + ", this library reads " +
                   std::to_string(kLayoutVersion));
    if (h.header_size != sizeof(SegmentHeader)) return bad("header size " + std::to_string(h.header_size));
    const void* nul = std::memchr(h.domain_name, '\0', sizeof h.domain_name);
    if (nul == nullptr) return bad("domain name is not NUL-terminated");
    if (auto st = validate_domain_name(h.domain_name); !st) return bad(st.error().message);
    if (h.segment_count == 0 || h.segment_count > 64 || h.segment_index >= h.segment_count)
        return bad("segment " + std::to_string(h.segment_index) + " of " + std::to_string(h.segment_count));
    if (!valid_page_size(h.page_size)) return bad("page size " + std::to_string(h.page_size));
    if (h.segment_size > mapped_size)
        return bad("segment size " + std::to_string(h.segment_size) + " exceeds the " +
                   std::to_string(mapped_size) + " bytes mapped");
    if (h.access != static_cast<std::uint32_t>(SegmentAccess::ReadOnly) &&
        h.access != static_cast<std::uint32_t>(SegmentAccess::ReadWrite))
        return bad("access " + std::to_string(h.access));
    if (h.vectors == 0 || h.vectors > kMaxVectors) return bad("vectors " + std::to_string(h.vectors));
    if (h.max_peers == 0 || h.max_peers > kMaxPeers) return bad("max peers " + std::to_string(h.max_peers));
    if ((h.flags & ~kHeaderPeerEpochs) != 0) return bad("unknown flags " + std::to_string(h.flags));
    if (h.instance_kind > static_cast<std::uint32_t>(InstanceKind::Numa))
        return bad("instance kind " + std::to_string(h.instance_kind));
    if ((h.instance_flags & ~(kInstancePrefaulted | kInstanceContiguous)) != 0)
        return bad("unknown instance flags " + std::to_string(h.instance_flags));
    if (h.numa_node < -1 || h.numa_node >= 1024) return bad("numa node " + std::to_string(h.numa_node));
    if (h.reserved0 != 0) return bad("reserved field is not zero");
    // A map address must be page aligned and leave the whole segment in the
    // lower half of a 48-bit address space (user space on every 64-bit ABI).
    constexpr std::uint64_t kUserTop = std::uint64_t{1} << 47;
    if (h.map_address != 0 && (h.map_address % h.page_size != 0 || h.map_address >= kUserTop ||
                               h.segment_size > kUserTop - h.map_address))
        return bad("map address " + std::to_string(h.map_address) + " is not a page-aligned user address");
    // Mailbox and data area must be exactly where the geometry puts them, so
    // every later access through them stays inside the segment.
    SegmentHeaderSpec spec{};
    spec.segment_size = h.segment_size;
    spec.vectors = h.vectors;
    spec.max_peers = h.max_peers;
    auto g = segment_geometry(spec);
    if (!g) return bad(g.error().message);
    if (h.mailbox_offset != g->mailbox_offset || h.mailbox_size != g->mailbox_size ||
        h.data_offset != g->data_offset || h.data_size != g->data_size)
        return bad("mailbox/data offsets do not match the segment geometry");
    // peer_count is not checked against the bitmap: the server updates the
    // two one after the other, so a reader may see them disagree for a moment.
    for (std::uint32_t id = h.max_peers; id < kMaxPeers; ++id)
        if (h.presence[id / 64] >> (id % 64) & 1u) return bad("peer id " + std::to_string(id) + " >= max peers");
    return h;
}

void header_set_present(SegmentHeader* h, std::uint32_t peer, bool present) {
    if (peer >= kMaxPeers) return;
    const std::uint64_t bit = std::uint64_t{1} << (peer % 64);
    auto word = atomic_word(h->presence[peer / 64]);
    const std::uint64_t old = present ? word.fetch_or(bit) : word.fetch_and(~bit);
    if (((old & bit) != 0) != present) {
        auto count = atomic_word(h->peer_count);
        if (present)
            count.fetch_add(1);
        else
            count.fetch_sub(1);
    }
    atomic_word(h->presence_seq).fetch_add(1);
}

bool header_is_present(const SegmentHeader* h, std::uint32_t peer) {
    if (peer >= kMaxPeers) return false;
    auto& w = const_cast<std::uint64_t&>(h->presence[peer / 64]);
    return (atomic_word(w).load(std::memory_order_acquire) >> (peer % 64)) & 1u;
}

void header_bump_peer_epoch(SegmentHeader* h, std::uint32_t peer) {
    if (peer >= kMaxPeers) return;
    std::atomic_ref<std::uint16_t> e(h->peer_epoch[peer]);
    std::uint16_t next = static_cast<std::uint16_t>(e.load(std::memory_order_relaxed) + 1);
    if (next == 0) next = 1;
    e.store(next, std::memory_order_release);
}

std::uint16_t header_peer_epoch(const SegmentHeader* h, std::uint32_t peer) {
    if (peer >= kMaxPeers) return 0;
    auto& w = const_cast<std::uint16_t&>(h->peer_epoch[peer]);
    return std::atomic_ref<std::uint16_t>(w).load(std::memory_order_acquire);
}

std::uint64_t* mailbox_word(void* segment_base, const SegmentHeader& validated, std::uint32_t peer,
                            std::uint32_t vector) {
    if (peer >= validated.max_peers || vector >= validated.vectors) return nullptr;
    auto* base = static_cast<std::byte*>(segment_base) + validated.mailbox_offset;
    return reinterpret_cast<std::uint64_t*>(base + peer * kMailboxStride + vector * sizeof(std::uint64_t));
}

std::string_view header_domain_name(const SegmentHeader& validated) {
    return std::string_view(validated.domain_name);
}

}  // namespace memdomain
