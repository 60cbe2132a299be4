// How memdomain-bench fills and checks a payload. Message `seq` carries seq
// in its first 8 bytes and a word derived from (seq, line) at the start of
// every further 64-byte line, so a lost, repeated, stale or torn cache line
// is caught while a check reads one word per line (what a receiver that
// looks at its packets touches). --verify full derives every byte instead.
// The END message (16 bytes: kEndMagic, then the number of messages sent)
// closes a run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace memdomain::bench {

inline constexpr std::uint64_t kEndMagic = 0x444e45484342444dULL;  // "MDBCHEND"
inline constexpr std::uint32_t kEndSize = 16;

inline std::uint64_t line_word(std::uint64_t seq, std::uint32_t offset) {
    return offset == 0 ? seq : seq ^ (std::uint64_t{offset} * 0x9E3779B97F4A7C15ULL);
}

inline void stamp(std::byte* p, std::uint32_t size, std::uint64_t seq, bool full) {
    if (full) {
        for (std::uint32_t i = 0; i < size; ++i) p[i] = std::byte(static_cast<unsigned char>(seq * 131 + i * 7 + (i >> 8)));
    }
    std::uint32_t off = 0;
    for (; off + 8 <= size; off += 64) {
        const std::uint64_t w = line_word(seq, off);
        std::memcpy(p + off, &w, 8);
    }
    if (size < 8) std::memcpy(p, &seq, size);
}

inline bool verify(const std::byte* p, std::uint32_t size, std::uint64_t seq, bool full) {
    if (full) {
        for (std::uint32_t i = 0; i < size; ++i) {
            if (i % 64 == 0 && i + 8 <= size) {
                i += 7;
                continue;
            }
            if (p[i] != std::byte(static_cast<unsigned char>(seq * 131 + i * 7 + (i >> 8)))) return false;
        }
    }
    for (std::uint32_t off = 0; off + 8 <= size; off += 64) {
        std::uint64_t w;
        std::memcpy(&w, p + off, 8);
        if (w != line_word(seq, off)) return false;
    }
    if (size < 8) return std::memcmp(p, &seq, size) == 0;
    return true;
}

inline std::uint64_t seq_of(const std::byte* p, std::uint32_t size) {
    std::uint64_t s = 0;
    std::memcpy(&s, p, size < 8 ? size : 8);
    return s;
}

inline void make_end(std::byte* p, std::uint64_t sent) {
    std::memcpy(p, &kEndMagic, 8);
    std::memcpy(p + 8, &sent, 8);
}
inline bool is_end(const std::byte* p, std::uint32_t len, std::uint64_t* sent) {
    if (len != kEndSize) return false;
    std::uint64_t m;
    std::memcpy(&m, p, 8);
    if (m != kEndMagic) return false;
    std::memcpy(sent, p + 8, 8);
    return true;
}

}  // namespace memdomain::bench
