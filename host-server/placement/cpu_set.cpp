#include "placement/cpu_set.h"

#include <charconv>
#include <string>

namespace memdomain::placement {

namespace {

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

Error bad(std::string_view text, std::string_view item, std::string_view why) {
    return make_error("CPU list \"" + std::string(text) + "\": \"" + std::string(item) + "\" " +
                          std::string(why) + " (expected \"all\" or a list such as \"0-3,6\")",
                      EINVAL);
}

// A CPU number: decimal digits only, within 0..kMaxCpus-1.
Result<int> parse_cpu(std::string_view text, std::string_view item, std::string_view digits) {
    int v = 0;
    const auto* end = digits.data() + digits.size();
    auto [p, ec] = std::from_chars(digits.data(), end, v);
    if (digits.empty() || ec == std::errc::invalid_argument || p != end) {
        return bad(text, item, "is not a CPU number or range");
    }
    if (ec == std::errc::result_out_of_range || v >= CpuSet::kMaxCpus) {
        return bad(text, item, "names a CPU past " + std::to_string(CpuSet::kMaxCpus - 1));
    }
    return v;
}

}  // namespace

CpuSet CpuSet::all() {
    CpuSet s;
    s.bits_.set();
    s.all_ = true;
    return s;
}

CpuSet CpuSet::of(std::initializer_list<int> cpus) {
    CpuSet s;
    for (int c : cpus) s.add(c);
    return s;
}

Result<CpuSet> CpuSet::parse(std::string_view text) {
    const auto t = trim(text);
    if (t.empty()) return bad(text, t, "is empty");
    return parse_cpulist(text);
}

Result<CpuSet> CpuSet::parse_cpulist(std::string_view text) {
    const auto t = trim(text);
    if (t == "all") return all();
    CpuSet s;
    if (t.empty()) return s;
    std::string_view rest = t;
    while (true) {
        const auto comma = rest.find(',');
        const auto item = trim(rest.substr(0, comma));
        if (item.empty()) return bad(text, item, "is an empty item");
        const auto dash = item.find('-');
        MD_ASSIGN_OR_RETURN(const int lo, parse_cpu(text, item, trim(item.substr(0, dash))));
        int hi = lo;
        if (dash != std::string_view::npos) {
            MD_ASSIGN_OR_RETURN(hi, parse_cpu(text, item, trim(item.substr(dash + 1))));
        }
        if (hi < lo) return bad(text, item, "is a reversed range");
        s.add_range(lo, hi);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return s;
}

std::string CpuSet::to_string() const {
    if (all_) return "all";
    std::string out;
    int cpu = 0;
    while (cpu < kMaxCpus) {
        if (!bits_.test(cpu)) {
            ++cpu;
            continue;
        }
        int last = cpu;
        while (last + 1 < kMaxCpus && bits_.test(last + 1)) ++last;
        if (!out.empty()) out += ',';
        out += std::to_string(cpu);
        if (last > cpu) out += '-' + std::to_string(last);
        cpu = last + 1;
    }
    return out;
}

std::vector<int> CpuSet::cpus() const {
    std::vector<int> v;
    v.reserve(count());
    for (int c = 0; c < kMaxCpus; ++c) {
        if (bits_.test(c)) v.push_back(c);
    }
    return v;
}

int CpuSet::first() const noexcept {
    for (int c = 0; c < kMaxCpus; ++c) {
        if (bits_.test(c)) return c;
    }
    return -1;
}

void CpuSet::add(int cpu) noexcept {
    if (cpu >= 0 && cpu < kMaxCpus) bits_.set(cpu);
}

void CpuSet::add_range(int first, int last) noexcept {
    for (int c = first; c <= last; ++c) add(c);
}

CpuSet CpuSet::intersect(const CpuSet& other) const {
    CpuSet s;
    s.bits_ = bits_ & other.bits_;
    s.all_ = all_ && other.all_;
    return s;
}

CpuSet CpuSet::unite(const CpuSet& other) const {
    CpuSet s;
    s.bits_ = bits_ | other.bits_;
    s.all_ = all_ || other.all_;
    return s;
}

CpuSet CpuSet::minus(const CpuSet& other) const {
    CpuSet s;
    s.bits_ = bits_ & ~other.bits_;
    return s;
}

}  // namespace memdomain::placement
