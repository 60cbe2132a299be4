// Access to words in shared memory that another peer may write at any time:
// every load and store is atomic (std::atomic_ref), and what a caller means
// to validate is copied out once (copy_from_shared) so it cannot change
// between the check and the use. Also the packing of an Attachment into the
// 32 bits stored in the area. Internal to libmemdomain.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "memdomain/common/segment_header.h"
#include "memdomain/data_area.h"

namespace memdomain::detail {

inline std::atomic_ref<std::uint64_t> word64(void* p) { return std::atomic_ref<std::uint64_t>(*static_cast<std::uint64_t*>(p)); }
inline std::atomic_ref<std::uint32_t> word32(void* p) { return std::atomic_ref<std::uint32_t>(*static_cast<std::uint32_t*>(p)); }

// Copies `n` bytes (a multiple of 8, both ends 8-byte aligned) out of shared
// memory with one relaxed atomic load per word: a snapshot to validate.
inline void copy_from_shared(void* dst, const void* src, std::size_t n) {
    auto* s = static_cast<std::uint64_t*>(const_cast<void*>(src));
    auto* d = static_cast<std::byte*>(dst);
    for (std::size_t i = 0; i < n / 8; ++i) {
        const std::uint64_t v = std::atomic_ref<std::uint64_t>(s[i]).load(std::memory_order_relaxed);
        std::memcpy(d + i * 8, &v, 8);
    }
}
// The reverse: stores `n` bytes (multiple of 8, aligned) word by word.
inline void copy_to_shared(void* dst, const void* src, std::size_t n) {
    auto* d = static_cast<std::uint64_t*>(dst);
    const auto* s = static_cast<const std::byte*>(src);
    for (std::size_t i = 0; i < n / 8; ++i) {
        std::uint64_t v;
        std::memcpy(&v, s + i * 8, 8);
        std::atomic_ref<std::uint64_t>(d[i]).store(v, std::memory_order_relaxed);
    }
}

// An Attachment as stored: id in the low 16 bits, epoch in the high 16.
// Epochs are never 0 for a real attachment, so 0 means "nobody".
inline std::uint32_t pack(Attachment a) { return (a.id & 0xffffu) | (a.epoch & 0xffffu) << 16; }
inline Attachment unpack(std::uint32_t v) { return Attachment{v & 0xffffu, v >> 16}; }

// Whether `a` is attached now with that epoch, per the live segment header.
inline bool attachment_live(const SegmentHeader* live_header, Attachment a) {
    if (a.epoch == 0 || a.id >= kMaxPeers) return false;
    return header_is_present(live_header, a.id) && header_peer_epoch(live_header, a.id) == a.epoch;
}

inline constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t align) { return (v + align - 1) / align * align; }
inline constexpr bool is_pow2(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace memdomain::detail
