#include "memdomain/common/sizes.h"

#include <cctype>
#include <limits>

namespace memdomain {

std::uint64_t page_size_of(PageClass c) {
    switch (c) {
        case PageClass::k4K: return 4 * KiB;
        case PageClass::k2M: return 2 * MiB;
        case PageClass::k1G: return 1 * GiB;
    }
    return 4 * KiB;
}

std::string_view to_string(PageClass c) {
    switch (c) {
        case PageClass::k4K: return "4K";
        case PageClass::k2M: return "2M";
        case PageClass::k1G: return "1G";
    }
    return "?";
}

std::optional<PageClass> parse_page_class(std::string_view s) {
    auto v = parse_size(s);
    if (!v) return std::nullopt;
    if (*v == 4 * KiB) return PageClass::k4K;
    if (*v == 2 * MiB) return PageClass::k2M;
    if (*v == 1 * GiB) return PageClass::k1G;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
    std::size_t i = 0;
    std::uint64_t n = 0;
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        std::uint64_t d = static_cast<std::uint64_t>(s[i] - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        n = n * 10 + d;
        ++i;
    }
    std::uint64_t mult = 1;
    if (i < s.size()) {
        switch (std::toupper(static_cast<unsigned char>(s[i]))) {
            case 'K': mult = KiB; break;
            case 'M': mult = MiB; break;
            case 'G': mult = GiB; break;
            case 'T': mult = 1024 * GiB; break;
            case 'B': mult = 1; break;
            default: return std::nullopt;
        }
        ++i;
        if (mult != 1 && i < s.size() && std::toupper(static_cast<unsigned char>(s[i])) == 'B') ++i;
    }
    if (i != s.size()) return std::nullopt;
    if (n == 0 || n > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
    return n * mult;
}

std::string format_size(std::uint64_t bytes) {
    static constexpr struct {
        std::uint64_t mult;
        const char* suffix;
    } units[] = {{1024 * GiB, "T"}, {GiB, "G"}, {MiB, "M"}, {KiB, "K"}};
    for (auto u : units)
        if (bytes >= u.mult && bytes % u.mult == 0) return std::to_string(bytes / u.mult) + u.suffix;
    return std::to_string(bytes);
}

}  // namespace memdomain
