// Arena claims over the arena table, and allocation inside a claim. A claim
// is a run of adjacent slots, each taken by compare-and-swap of its owner
// word from free (or a dead attachment's) to ours; a claimer that loses a
// race gives back what it took of that run and tries the next one.
#include "memdomain/arena.h"

#include <string>

#include "area_core.h"
#include "range_allocator.h"

namespace memdomain {

using namespace detail;

struct Arena::State {
    AreaCore* core = nullptr;
    std::uint32_t first = 0, count = 0;
    std::uint64_t owner_word = 0;
    RangeAllocator allocator;
    bool released = false;
};

namespace {

Error arena_error(int err, const std::string& what) { return make_error("arena: " + what, err); }

// Whether slot i may be taken: free, a scribble, or a dead attachment's.
bool takeable(const AreaCore& c, std::uint64_t w) {
    if (w == 0 || (w & kArenaClaimed) == 0) return true;
    const Attachment a = unpack(static_cast<std::uint32_t>(w));
    return !c.is_live(a);
}

void give_back(AreaCore& c, std::uint32_t first, std::uint32_t end, std::uint64_t mine) {
    for (std::uint32_t i = first; i < end; ++i) {
        std::uint64_t expected = mine;
        word64(&c.arena_entry(i)->owner).compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
    }
}

// Tries to take slots [first, first + need); returns the index of the slot
// that could not be taken, or first + need on success.
std::uint32_t try_run(AreaCore& c, std::uint32_t first, std::uint32_t need, std::uint64_t mine) {
    for (std::uint32_t i = first; i < first + need; ++i) {
        auto owner = word64(&c.arena_entry(i)->owner);
        std::uint64_t w = owner.load(std::memory_order_acquire);
        if (!takeable(c, w) || !owner.compare_exchange_strong(w, mine, std::memory_order_acq_rel)) {
            give_back(c, first, i, mine);
            return i;
        }
    }
    return first + need;
}

}  // namespace

Result<Arena> Arena::claim(DataArea& area, std::uint64_t min_bytes) {
    AreaCore& c = area.core();
    if (!c.writable) return arena_error(EROFS, "read-only peer cannot claim an arena");
    if (!c.self_live()) return arena_error(EOWNERDEAD, "our attachment is no longer live");
    const std::uint64_t slot = c.geo.arena_slot_size;
    const std::uint64_t need64 = min_bytes == 0 ? 1 : (min_bytes / slot + (min_bytes % slot != 0));
    if (need64 > c.geo.arena_slots)
        return arena_error(ENOSPC, std::to_string(min_bytes) + " bytes is more than the " +
                                       std::to_string(c.geo.arena_slots) + " arena slots of " + std::to_string(slot) +
                                       " bytes");
    const auto need = static_cast<std::uint32_t>(need64);
    const std::uint64_t mine = kArenaClaimed | pack(c.self);
    for (std::uint32_t first = 0; first + need <= c.geo.arena_slots;) {
        const std::uint32_t stop = try_run(c, first, need, mine);
        if (stop == first + need) {
            for (std::uint32_t i = first; i < first + need; ++i) {
                word32(&c.arena_entry(i)->run_first).store(first, std::memory_order_relaxed);
                word32(&c.arena_entry(i)->run_count).store(need, std::memory_order_relaxed);
            }
            auto s = std::make_unique<State>();
            s->core = &c;
            s->first = first;
            s->count = need;
            s->owner_word = mine;
            s->allocator = RangeAllocator(c.geo.data_offset + c.arena_slot_offset(first), need64 * slot);
            return Arena(std::move(s));
        }
        first = stop + 1;
    }
    return arena_error(ENOSPC, "no run of " + std::to_string(need) + " free slot(s) of " + std::to_string(slot) +
                                   " bytes among " + std::to_string(c.geo.arena_slots));
}

Arena::Arena(std::unique_ptr<State> s) : s_(std::move(s)) {}
Arena::Arena(Arena&&) noexcept = default;
Arena& Arena::operator=(Arena&& o) noexcept {
    if (this != &o) {
        release();
        s_ = std::move(o.s_);
    }
    return *this;
}
Arena::~Arena() { release(); }

std::uint64_t Arena::offset() const { return s_->core->arena_slot_offset(s_->first); }
std::uint64_t Arena::size() const { return std::uint64_t{s_->count} * s_->core->geo.arena_slot_size; }
std::byte* Arena::data() const { return s_->core->data + offset(); }
std::uint64_t Arena::page_size() const { return s_->core->geo.page_size; }
std::uint64_t Arena::va_alignment() const {
    const auto va = reinterpret_cast<std::uintptr_t>(data());
    const std::uint64_t low = va == 0 ? page_size() : (va & (~va + 1));
    return low < page_size() ? low : page_size();
}
std::uint32_t Arena::first_slot() const { return s_->first; }
std::uint32_t Arena::slot_count() const { return s_->count; }

Result<std::uint64_t> Arena::alloc(std::uint64_t size, std::uint64_t align) {
    if (!s_ || s_->released) return arena_error(ENXIO, "released");
    if (size == 0) return arena_error(EINVAL, "allocation of 0 bytes");
    if (!is_pow2(align) || align > page_size())
        return arena_error(EINVAL, "alignment " + std::to_string(align) + " is not a power of two <= the page size");
    if (align < 64) align = 64;
    // Alignment is of the address: the allocator works in segment offsets
    // (data_offset + data-area offset), and the segment is mapped page
    // aligned, so an aligned segment offset is an aligned address.
    auto r = s_->allocator.alloc(size, align);
    if (!r) return arena_error(ENOMEM, r.error().message);
    return *r - s_->core->geo.data_offset;
}

Status Arena::free(std::uint64_t offset) {
    if (!s_ || s_->released) return arena_error(ENXIO, "released");
    if (offset > (std::uint64_t{1} << 62)) return arena_error(EINVAL, "offset out of range");
    auto st = s_->allocator.free(offset + s_->core->geo.data_offset);
    if (!st) return arena_error(EINVAL, st.error().message);
    return {};
}

std::uint64_t Arena::bytes_free() const { return s_ ? s_->allocator.bytes_free() : 0; }
std::uint64_t Arena::bytes_allocated() const { return s_ ? s_->allocator.bytes_allocated() : 0; }

bool Arena::owned() const {
    if (!s_ || s_->released || !s_->core->self_live()) return false;
    for (std::uint32_t i = s_->first; i < s_->first + s_->count; ++i)
        if (word64(&s_->core->arena_entry(i)->owner).load(std::memory_order_acquire) != s_->owner_word) return false;
    return true;
}

void Arena::release() {
    if (!s_ || s_->released) return;
    give_back(*s_->core, s_->first, s_->first + s_->count, s_->owner_word);
    s_->released = true;
}

}  // namespace memdomain
