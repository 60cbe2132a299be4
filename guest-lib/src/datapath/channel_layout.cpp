// Channel geometry: what a config implies, computed the same way by the
// producer (to build) and the consumer (to check what it found).
#include "channel_layout.h"

#include "shared_word.h"

namespace memdomain::detail {

ChannelGeometry channel_geometry(ChannelMode mode, std::uint32_t slots, std::uint32_t slot_payload, bool posting) {
    ChannelGeometry g;
    if (slots < 2 || slots > kChannelMaxSlots || !is_pow2(slots)) return g;
    if (mode != ChannelMode::Copy && mode != ChannelMode::ZeroCopy) return g;
    if (posting && mode != ChannelMode::ZeroCopy) return g;
    if (mode == ChannelMode::Copy && slot_payload == 0) return g;
    if (slot_payload > kMaxSlotPayload) return g;
    while ((std::uint32_t{1} << g.shift) < slots) ++g.shift;
    g.fwd_offset = kChannelHeaderSize;
    const std::uint64_t fwd_end = round_up(g.fwd_offset + std::uint64_t{slots} * kDescriptorSize, 64);
    g.total = fwd_end;
    if (mode == ChannelMode::ZeroCopy) {
        g.ret_offset = fwd_end;
        g.ret_slots = posting ? 2 * slots : slots;
        g.ret_shift = g.shift + (posting ? 1 : 0);
        g.total = round_up(g.ret_offset + std::uint64_t{g.ret_slots} * kDescriptorSize, 64);
    }
    if (slot_payload != 0) {  // Copy, or ZeroCopy with inline slots
        // An odd number of cache lines per slot: slots a power of two apart
        // would all fall into the same few cache sets.
        g.slot_stride = static_cast<std::uint32_t>(round_up(slot_payload, 64) | 64);
        g.slots_offset = g.total;
        g.total = g.slots_offset + std::uint64_t{slots} * g.slot_stride;
    }
    g.total = round_up(g.total, 64);
    g.ok = true;
    return g;
}

std::uint64_t channel_memory_size_impl(const ChannelConfig& c) {
    if (c.posted > c.slots || c.posted >= kPostedTokenBit || (c.posted != 0 && c.mode != ChannelMode::ZeroCopy)) return 0;
    const ChannelGeometry g = config_geometry(c);
    return g.ok ? g.total : 0;
}

}  // namespace memdomain::detail

namespace memdomain {
std::uint64_t channel_memory_size(const ChannelConfig& config) { return detail::channel_memory_size_impl(config); }
}  // namespace memdomain
