// The value rules of the config language, one small function each, kept apart
// from the grammar so each can be read (and tested through the parser) on its
// own. Each returns nullopt/empty when the value is fine, or what is wrong,
// ready to follow "FILE:LINE:COL: ". Header-only: the parser is their only user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "memdomain/common/segment_header.h"
#include "memdomain/common/sizes.h"

namespace memdomain::config::values {

// Decimal digits only, no sign, no leading '+', fits in 64 bits.
inline std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

// The page classes of the language: 4K, 2M, 1G, with an optional B, any case.
// Stricter than parse_page_class on purpose: "4096" or "2048K" are sizes, and
// a config that says them is more likely a mistake than a page class.
inline std::optional<PageClass> page_class_word(std::string_view s) {
    std::string u;
    for (char c : s) u += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (u == "4K" || u == "4KB") return PageClass::k4K;
    if (u == "2M" || u == "2MB") return PageClass::k2M;
    if (u == "1G" || u == "1GB") return PageClass::k1G;
    return std::nullopt;
}

inline std::optional<SegmentAccess> access_word(std::string_view s) {
    if (s == "R/W") return SegmentAccess::ReadWrite;
    if (s == "R/O") return SegmentAccess::ReadOnly;
    return std::nullopt;
}

// "96M is not a power of two (a PCI BAR must be): use 64M or 128M".
inline std::string not_power_of_two(std::uint64_t size) {
    std::uint64_t below = 1;
    while (below <= size / 2) below *= 2;
    std::string msg = format_size(size) + " is not a power of two (a PCI BAR must be): use " + format_size(below);
    if (below <= UINT64_MAX / 2) msg += " or " + format_size(below * 2);
    return msg;
}

// The smallest power-of-two segment of `page` pages that leaves a data area
// after a header and mailbox ending at `data_offset`.
inline std::uint64_t smallest_segment(std::uint64_t data_offset, std::uint64_t page) {
    std::uint64_t s = page;
    while (s <= data_offset) s *= 2;
    return s;
}

// A user or group as written in an access line: a name in the shadow-utils
// rules ([a-z_][a-z0-9_-]*, optional trailing '$', at most 32 characters) or a
// decimal id below 2^32 - 1 ((uid_t)-1 means "no id" to the kernel).
inline std::optional<std::string> principal_problem(std::string_view p) {
    if (p[0] >= '0' && p[0] <= '9') {
        auto id = parse_decimal(p);
        if (!id || *id >= 0xffffffffu)
            return "bad id '" + std::string(p) + "': a numeric id is a decimal number below 4294967295";
        return std::nullopt;
    }
    if (p.size() > 32) return "user or group name '" + std::string(p) + "' is longer than 32 characters";
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '-')) ||
                        (c == '$' && i > 0 && i + 1 == p.size());
        if (!ok)
            return "bad user or group name '" + std::string(p) +
                   "' (a name is [a-z_][a-z0-9_-]* with an optional final '$', or a decimal id)";
    }
    return std::nullopt;
}

// A socket's mode: octal, written with a leading 0 so that "660" (which a
// reader might take for decimal 660 = 01224) is refused rather than guessed.
// Only permission bits: setuid, setgid and sticky mean nothing useful on a
// socket file, and a config that sets them is more likely a typo of 0660.
inline constexpr std::uint32_t kMaxSocketMode = 0777;

inline std::optional<std::uint32_t> parse_octal(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '7') return std::nullopt;
        v = v * 8 + static_cast<std::uint64_t>(c - '0');
        if (v > 0xffffffffu) return std::nullopt;  // leading zeros are fine, overflow is not
    }
    return static_cast<std::uint32_t>(v);
}

// What is wrong with a mode word, to follow "bad mode 'WORD': ".
inline std::optional<std::string> mode_problem(std::string_view s) {
    if (s[0] != '0') return "a mode is octal and starts with 0, e.g. 0660";
    for (char c : s)
        if (c < '0' || c > '7') return "not an octal number (digits 0-7 only), e.g. 0660";
    auto v = parse_octal(s);  // nullopt now means too large
    if (!v || *v > 07777) return "above 0777 (a mode holds permission bits only)";
    if (*v > kMaxSocketMode)
        return "sets the setuid, setgid or sticky bit, which a socket does not take (use 0000..0777)";
    return std::nullopt;
}

// Linux's largest NR_CPUS is 8192.
inline constexpr std::uint64_t kMaxCpu = 8191;

struct CpuListProblem {
    std::size_t offset;  // into the string's contents
    std::string message;
};

// "all", or a comma-separated list of CPU numbers and ranges "A-B" (A <= B),
// no blanks: "0-3,6". Reports the first byte that is wrong.
inline std::optional<CpuListProblem> cpu_list_problem(std::string_view s) {
    if (s == "all") return std::nullopt;
    if (s.empty()) return CpuListProblem{0, "cpualias is empty: use \"all\" or a CPU list like \"0-3,6\""};
    std::size_t i = 0;
    auto number = [&](std::uint64_t& out) -> std::optional<CpuListProblem> {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        auto v = parse_decimal(s.substr(start, i - start));
        if (i == start)
            return CpuListProblem{start, "bad cpualias \"" + std::string(s) +
                                             "\": expected a CPU number (\"all\" or a list like \"0-3,6\")"};
        if (!v || *v > kMaxCpu)
            return CpuListProblem{start, "bad cpualias \"" + std::string(s) + "\": CPU " +
                                             std::string(s.substr(start, i - start)) + " is above " +
                                             std::to_string(kMaxCpu)};
        out = *v;
        return std::nullopt;
    };
    for (;;) {
        const std::size_t item = i;
        std::uint64_t lo = 0, hi = 0;
        if (auto p = number(lo)) return p;
        if (i < s.size() && s[i] == '-') {
            ++i;
            if (auto p = number(hi)) return p;
            if (hi < lo)
                return CpuListProblem{item, "bad cpualias \"" + std::string(s) + "\": range " + std::to_string(lo) +
                                                "-" + std::to_string(hi) + " runs backwards"};
        }
        if (i == s.size()) return std::nullopt;
        if (s[i] != ',')
            return CpuListProblem{i, "bad cpualias \"" + std::string(s) + "\": expected ',' or '-' after a CPU number"};
        ++i;
    }
}

}  // namespace memdomain::config::values
