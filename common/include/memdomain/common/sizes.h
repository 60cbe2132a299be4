// Byte sizes and page classes, as written in configs and printed to users.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memdomain {

enum class PageClass : std::uint8_t { k4K = 0, k2M = 1, k1G = 2 };

inline constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

std::uint64_t page_size_of(PageClass c);
std::string_view to_string(PageClass c);  // "4K", "2M", "1G"
// "4K", "2M", "1G" (also "4KB", "2MB", "1GB", any case); nullopt otherwise.
std::optional<PageClass> parse_page_class(std::string_view s);

// "64MB", "64M", "64m", "2G", "4096", "512K", "1GiB"? no: units are K, M, G, T
// with an optional "B" (binary multiples). nullopt on anything else, including
// overflow and zero.
std::optional<std::uint64_t> parse_size(std::string_view s);
// 67108864 -> "64M"; 1536 -> "1536"; exact, never rounds.
std::string format_size(std::uint64_t bytes);

inline constexpr bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
inline constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t align) {
    return (v + align - 1) / align * align;
}

}  // namespace memdomain
