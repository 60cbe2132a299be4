// DataArea::attach: find segment 0's data area empty and format it, or find
// it formatted and check the superblock against our own geometry. The
// superblock's state word is the only thing peers race on (compare-and-swap);
// a formatter that died half-way (its attachment no longer live) is
// superseded by the next peer.
#include "memdomain/data_area.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

#include "area_core.h"

namespace memdomain {
namespace {

using namespace detail;

Error area_error(int err, const std::string& what) { return make_error("data area: " + what, err); }

bool superblock_rest_is_zero(const AreaSuperblock* sb) {
    AreaSuperblock copy;
    copy_from_shared(&copy, sb, sizeof copy);
    copy.state = 0;
    static const AreaSuperblock zero{};
    return std::memcmp(&copy, &zero, sizeof copy) == 0;
}

// Zeroes the metadata, writes the superblock, then publishes it (release).
void format_area(AreaCore& c, const AreaGeometry& g, std::uint64_t generation) {
    AreaSuperblock* sb = c.superblock();
    const std::uint64_t table_end = g.arena_table_offset + (g.data_size / g.arena_slot_size) * sizeof(ArenaEntry);
    std::memset(c.data + g.directory_offset, 0, table_end - g.directory_offset);
    AreaSuperblock s{};
    std::memcpy(s.magic, kAreaMagic, sizeof s.magic);
    s.layout_version = kAreaLayoutVersion;
    s.superblock_size = sizeof(AreaSuperblock);
    s.data_offset = g.data_offset;
    s.data_size = g.data_size;
    s.page_size = g.page_size;
    s.directory_offset = g.directory_offset;
    s.directory_slots = g.directory_slots;
    s.directory_entry_size = sizeof(DirEntry);
    s.arena_table_offset = g.arena_table_offset;
    s.arena_offset = g.arena_offset;
    s.arena_slot_size = g.arena_slot_size;
    s.arena_slots = g.arena_slots;
    s.arena_entry_size = sizeof(ArenaEntry);
    s.domain_generation = generation;
    s.formatter = pack(c.self);
    // Everything but the state word, then the state word last.
    copy_to_shared(reinterpret_cast<std::byte*>(sb) + 8, reinterpret_cast<const std::byte*>(&s) + 8, sizeof s - 8);
    word64(&sb->state).store(kAreaReady | pack(c.self), std::memory_order_release);
}

// Checks a ready superblock against the geometry we compute from our own
// header and its two parameters; returns that geometry.
Result<AreaGeometry> check_superblock(const AreaCore& c, const SegmentView& seg) {
    AreaSuperblock s;
    copy_from_shared(&s, c.superblock(), sizeof s);
    if (std::memcmp(s.magic, kAreaMagic, sizeof s.magic) != 0)
        return area_error(EBADMSG, "state says formatted but the magic is wrong");
    if (s.layout_version != kAreaLayoutVersion)
        return area_error(EPROTONOSUPPORT, "layout version " + std::to_string(s.layout_version) + ", this library has " +
                                               std::to_string(kAreaLayoutVersion));
    const std::uint64_t data_offset = static_cast<std::uint64_t>(seg.data - seg.base);
    if (s.superblock_size != sizeof(AreaSuperblock) || s.directory_entry_size != sizeof(DirEntry) ||
        s.arena_entry_size != sizeof(ArenaEntry))
        return area_error(EBADMSG, "superblock has foreign structure sizes");
    if (s.data_offset != data_offset || s.data_size != seg.data_size || s.page_size != seg.page_size)
        return area_error(EBADMSG, "superblock describes another segment (data offset " + std::to_string(s.data_offset) +
                                       ", size " + std::to_string(s.data_size) + ", page " +
                                       std::to_string(s.page_size) + ")");
    auto g = compute_area_geometry(data_offset, seg.data_size, seg.page_size, s.directory_slots, s.arena_slot_size);
    if (!g) return area_error(EBADMSG, "superblock parameters: " + g.error().message);
    if (s.directory_offset != g->directory_offset || s.arena_table_offset != g->arena_table_offset ||
        s.arena_offset != g->arena_offset || s.arena_slots != g->arena_slots)
        return area_error(EBADMSG, "superblock offsets disagree with the geometry computed from its parameters");
    return *g;
}

Result<AreaGeometry> format_geometry(const SegmentView& seg, const DataAreaOptions& o) {
    const std::uint32_t slots = o.directory_slots != 0 ? o.directory_slots : kDefaultDirectorySlots;
    const std::uint64_t slot_size =
        o.arena_slot_size != 0 ? o.arena_slot_size : default_arena_slot_size(seg.data_size, seg.page_size);
    return compute_area_geometry(static_cast<std::uint64_t>(seg.data - seg.base), seg.data_size, seg.page_size, slots,
                                 slot_size);
}

// The claim-and-format loop. Returns the geometry and whether we formatted.
Result<std::pair<AreaGeometry, bool>> settle(AreaCore& c, const SegmentView& seg, const DataAreaOptions& o,
                                             std::uint64_t generation) {
    auto state = word64(&c.superblock()->state);
    const std::uint64_t mine = kAreaFormatting | pack(c.self);
    const auto deadline = std::chrono::steady_clock::now() + o.format_wait;
    for (;;) {
        std::uint64_t s = state.load(std::memory_order_acquire);
        const std::uint64_t kind = s & kAreaKindMask;
        bool claimable = false;
        if (s == 0) {
            if (!superblock_rest_is_zero(c.superblock()) && !o.format_foreign)
                return area_error(EBADMSG, "holds bytes that are not a data-path layout (set format_foreign to "
                                           "format over them)");
            claimable = true;
        } else if (kind == kAreaReady) {
            auto g = check_superblock(c, seg);
            if (g || g.error().sys != EBADMSG || !o.format_foreign ||
                std::memcmp(c.superblock()->magic, kAreaMagic, sizeof kAreaMagic) == 0) {
                if (!g) return std::move(g).error();
                return std::pair{*g, false};
            }
            claimable = true;  // "ready" without our magic: foreign bytes
        } else if (kind == kAreaFormatting) {
            const Attachment owner = unpack(static_cast<std::uint32_t>(s));
            claimable = !c.is_live(owner);  // ourselves too: another thread of ours
            if (!claimable) {
                if (std::chrono::steady_clock::now() >= deadline)
                    return area_error(ETIMEDOUT, "peer " + std::to_string(owner.id) + " has been formatting it for " +
                                                     std::to_string(o.format_wait.count()) + " ms");
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                continue;
            }
        } else {
            if (!o.format_foreign)
                return area_error(EBADMSG, "holds bytes that are not a data-path layout (set format_foreign to "
                                           "format over them)");
            claimable = true;
        }
        if (!c.writable) return area_error(EROFS, "is not formatted and this peer has read-only access");
        MD_ASSIGN_OR_RETURN(AreaGeometry g, format_geometry(seg, o));
        if (!state.compare_exchange_strong(s, mine, std::memory_order_acq_rel)) continue;
        format_area(c, g, generation);
        return std::pair{g, true};
    }
}

}  // namespace

Result<DataArea> DataArea::attach(Domain& domain, const DataAreaOptions& options) {
    return attach_port(make_domain_port(domain), options);
}

Result<DataArea> DataArea::attach_port(std::unique_ptr<DomainPort> port, const DataAreaOptions& options) {
    auto core = std::make_unique<AreaCore>();
    const SegmentView& seg = port->segment0();
    MD_ASSIGN_OR_RETURN(SegmentHeader h, port->header());
    if ((h.flags & kHeaderPeerEpochs) == 0)
        return area_error(ENOTSUP, "the server keeps no per-peer join epochs (too old a memdomaind)");
    if (options.directory_slots > kMaxDirectorySlots)
        return area_error(EINVAL, "directory_slots " + std::to_string(options.directory_slots) + " > " +
                                      std::to_string(kMaxDirectorySlots));
    if (options.arena_slot_size != 0 &&
        (!is_pow2(options.arena_slot_size) || options.arena_slot_size < seg.page_size))
        return area_error(EINVAL, "arena_slot_size " + std::to_string(options.arena_slot_size) +
                                      " is not a power of two and a multiple of the page size " +
                                      std::to_string(seg.page_size));
    core->data = seg.data;
    core->live_header = reinterpret_cast<const SegmentHeader*>(seg.base);
    core->writable = seg.access == Access::ReadWrite;
    core->self = Attachment{port->self(), header_peer_epoch(core->live_header, port->self())};
    if (!core->is_live(core->self))
        return area_error(EOWNERDEAD, "peer " + std::to_string(core->self.id) +
                                          " is not present in the segment header (server restarted?)");
    core->port = std::move(port);
    MD_ASSIGN_OR_RETURN(auto settled, settle(*core, seg, options, h.generation));
    core->geo = settled.first;
    const AreaGeometry& g = core->geo;
    core->info = DataAreaInfo{g.data_size,        g.data_offset,  g.page_size,       g.directory_offset,
                              g.directory_slots,  g.arena_table_offset, g.arena_offset, g.arena_slot_size,
                              g.arena_slots,      settled.second};
    return DataArea(std::move(core));
}

DataArea::DataArea(std::unique_ptr<AreaCore> core) : core_(std::move(core)) {}
DataArea::DataArea(DataArea&&) noexcept = default;
DataArea& DataArea::operator=(DataArea&&) noexcept = default;
DataArea::~DataArea() = default;

const DataAreaInfo& DataArea::info() const { return core_->info; }
Attachment DataArea::self() const { return core_->self; }
bool DataArea::is_live(Attachment a) const { return core_->is_live(a); }
std::byte* DataArea::data() const { return core_->data; }
std::uint64_t DataArea::size() const { return core_->geo.data_size; }
std::byte* DataArea::at(std::uint64_t offset, std::uint64_t length) const {
    return core_->in_area(offset, length) ? core_->data + offset : nullptr;
}
detail::AreaCore& DataArea::core() const { return *core_; }

std::vector<ArenaSlotState> DataArea::arena_slots() const {
    std::vector<ArenaSlotState> out;
    out.reserve(core_->geo.arena_slots);
    for (std::uint32_t i = 0; i < core_->geo.arena_slots; ++i) {
        const std::uint64_t w = word64(&core_->arena_entry(i)->owner).load(std::memory_order_acquire);
        ArenaSlotState st;
        st.slot = i;
        st.offset = core_->arena_slot_offset(i);
        if ((w & kArenaClaimed) != 0) st.owner = unpack(static_cast<std::uint32_t>(w));
        st.live = st.owner.epoch != 0 && core_->is_live(st.owner);
        out.push_back(st);
    }
    return out;
}

Result<std::uint32_t> DataArea::reclaim_stale_arenas() {
    if (!core_->writable) return area_error(EROFS, "read-only peer cannot reclaim arenas");
    std::uint32_t freed = 0;
    for (std::uint32_t i = 0; i < core_->geo.arena_slots; ++i) {
        auto owner = word64(&core_->arena_entry(i)->owner);
        std::uint64_t w = owner.load(std::memory_order_acquire);
        if (w == 0) continue;
        if ((w & kArenaClaimed) != 0 && core_->is_live(unpack(static_cast<std::uint32_t>(w)))) continue;
        if (owner.compare_exchange_strong(w, 0, std::memory_order_acq_rel)) ++freed;
    }
    return freed;
}

}  // namespace memdomain
