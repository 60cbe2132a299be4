// The value rules of the config language, one small function each, kept apart
// from the grammar so each can be read (and tested through the parser) on its
// own. Each says what is wrong with a value (nullopt/empty when it is fine),
// ready to follow "FILE:LINE:COL: " or "bad KEY 'WORD': "; the parsers of
// durations and addresses return the value and the problem together.
// Header-only: the parser is their main user (the control verbs check a
// granted VM name with vm_name_problem, so a grant and a file agree).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A VM as written in an access line or a grant: a libvirt domain name, which
// becomes the file name <name>.pid in libvirt's run directory, so no '/', no
// control characters, not "." or "..", at most 255 bytes; or "*" (any VM,
// through the hook only). The config's words cannot hold blanks or " # = { }
// anyway; a grant through control.sock may name such a VM.
inline std::optional<std::string> vm_name_problem(std::string_view p) {
    if (p.empty()) return std::string("a VM name is empty");
    if (p.size() > 255) return "VM name '" + std::string(p.substr(0, 40)) + "...' is longer than 255 bytes";
    if (p == "." || p == "..") return "bad VM name '" + std::string(p) + "'";
    for (char c : p)
        if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "bad VM name '" + std::string(p) +
                   "': a libvirt VM name holds no '/' and no control characters (or '*' for any VM)";
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

// --- grace = DURATION ---------------------------------------------------------
// A whole number and a lower-case unit: 500ms, 30s, 2m, 1h. The unit is
// required so that "grace = 30" is not silently read as 30 ms (or 30 s).
inline constexpr std::uint64_t kMaxGraceMs = 24ull * 60 * 60 * 1000;

struct Duration {
    std::optional<std::uint64_t> ms;  // set when the word is good
    std::string problem;              // else what is wrong, to follow "bad duration 'WORD': "
};

inline Duration parse_duration(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    const std::string_view digits = s.substr(0, n), unit = s.substr(n);
    const char* generic = "expected a whole number and a unit (ms, s, m or h), e.g. 30s or 500ms";
    if (digits.empty()) return {std::nullopt, generic};
    std::uint64_t per = 0;
    if (unit == "ms") per = 1;
    else if (unit == "s") per = 1000;
    else if (unit == "m") per = 60 * 1000;
    else if (unit == "h") per = 60 * 60 * 1000;
    else if (unit.empty()) return {std::nullopt, "the unit is required: ms, s, m or h, e.g. 30s"};
    else if (unit == "MS" || unit == "Ms" || unit == "mS" || unit == "S" || unit == "M" || unit == "H")
        return {std::nullopt, "units are lower-case: ms, s, m or h"};
    else return {std::nullopt, generic};
    auto v = parse_decimal(digits);
    if (!v || *v > kMaxGraceMs / per) return {std::nullopt, "above the maximum of 24h"};
    return {*v * per, {}};
}

// --- contiguous = yes|no -------------------------------------------------------
inline std::optional<bool> yes_no(std::string_view s) {
    if (s == "yes") return true;
    if (s == "no") return false;
    return std::nullopt;
}

// --- vaddr = 0x... ---------------------------------------------------------------
// Where clients map a domain. x86-64 user space ends at 2^47; Linux keeps its
// last page unmapped (TASK_SIZE = 2^47 - 4K), so a domain must end at or
// below that.
inline constexpr std::uint64_t kUserSpaceEnd = 1ull << 47;
inline constexpr std::uint64_t kLastUserPageEnd = kUserSpaceEnd - 4 * KiB;

inline std::string hex(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[v & 15]);
        v >>= 4;
    } while (v != 0);
    return "0x" + out;
}

struct Vaddr {
    std::optional<std::uint64_t> value;  // set when the word is good
    std::string problem;                 // else what is wrong, to follow "bad vaddr 'WORD': "
};

// Hex with a 0x prefix (decimal is refused: addresses are read in hex, and a
// decimal one is more likely a mistake than meant), non-zero, below 2^47,
// a multiple of 4K. Alignment to larger pages needs the segments: see
// vaddr_layout_problem.
inline Vaddr parse_vaddr(std::string_view s) {
    if (s.size() < 2 || s[0] != '0' || s[1] != 'x')
        return {std::nullopt, "an address is written in hex with a 0x prefix, e.g. 0x7f0000000000"};
    const std::string_view h = s.substr(2);
    if (h.empty()) return {std::nullopt, "not a hex number (0x followed by digits 0-9, a-f)"};
    std::uint64_t v = 0;
    bool too_big = false;
    for (char c : h) {
        std::uint64_t d = 0;
        if (c >= '0' && c <= '9') d = static_cast<std::uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<std::uint64_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = static_cast<std::uint64_t>(c - 'A' + 10);
        else return {std::nullopt, "not a hex number (0x followed by digits 0-9, a-f)"};
        if (v >= kUserSpaceEnd) too_big = true;  // keeps reading to report a bad digit first
        else v = v * 16 + d;
    }
    if (too_big || v >= kUserSpaceEnd)
        return {std::nullopt, "not below " + hex(kUserSpaceEnd) + ", the end of user space"};
    if (v == 0) return {std::nullopt, "0 is not an address (leave vaddr out to let the kernel choose)"};
    if (v % (4 * KiB) != 0) return {std::nullopt, "not a multiple of 4K, the smallest page size"};
    return {v, {}};
}

// The checks of a vaddr that need the whole domain: it must be aligned to the
// largest page size of its segments, and the segments, laid out from it (each
// at the end of the previous one, rounded up to its own page size), must end
// at or below the last user-space page. `sizes` are (page size, size) pairs.
inline std::optional<std::string> vaddr_layout_problem(
    std::uint64_t vaddr, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& sizes,
    const std::string& domain_name) {
    std::uint64_t largest = 4 * KiB;
    std::size_t largest_at = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        if (sizes[i].first > largest) largest = sizes[i].first, largest_at = i;
    if (vaddr % largest != 0) {
        const std::uint64_t below = vaddr / largest * largest;
        std::string use = below != 0 ? hex(below) + " or " : std::string();
        return "vaddr " + hex(vaddr) + " is not a multiple of " + format_size(largest) + ", the page size of segment " +
               std::to_string(largest_at) + " of memdomain '" + domain_name + "': use " + use +
               hex(below + largest);
    }
    // Every page size divides `largest`, so the span does not depend on
    // which aligned address the domain starts at. Sizes are below 2^64 and
    // stop counting past 2^47, so nothing overflows.
    std::uint64_t span = 0;
    for (const auto& [page, size] : sizes) {
        span = round_up(span, page);
        if (size >= kUserSpaceEnd || span + size >= kUserSpaceEnd) {
            span = kUserSpaceEnd;
            break;
        }
        span += size;
    }
    if (span <= kLastUserPageEnd && vaddr <= kLastUserPageEnd - span) return std::nullopt;
    std::string msg = "memdomain '" + domain_name + "' does not fit below the end of user space at vaddr " +
                      hex(vaddr) + ": ";
    if (span > kLastUserPageEnd) return msg + "its segments take more than the whole of user space";
    const std::uint64_t highest = (kLastUserPageEnd - span) / largest * largest;
    msg += "its segments take " + format_size(span) + " and would end at " + hex(vaddr + span) + ", past " +
           hex(kLastUserPageEnd);
    if (highest != 0) msg += " (use a vaddr up to " + hex(highest) + ")";
    return msg;
}

}  // namespace memdomain::config::values
