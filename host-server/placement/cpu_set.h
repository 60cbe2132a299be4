// A set of CPU numbers (0..kMaxCpus-1), as written in configs ("cpualias"),
// in sysfs cpulist files and returned by sched_getaffinity.
//
// The text form is the kernel's cpulist: comma-separated CPUs and inclusive
// ranges, "0-3,6". parse() also accepts "all", meaning every CPU of whatever
// topology the set is later compared with. "all" is represented eagerly: every
// bit 0..kMaxCpus-1 is set and a flag remembers the spelling, so intersecting
// with a topology's CPUs gives exactly that topology's CPUs and contains()
// is true for any valid CPU, with no special case in the callers. The flag
// only changes to_string() ("all" instead of "0-8191") and is kept by an
// intersection only when both sides were "all". Equality compares the bits.
#pragma once

#include <bitset>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::placement {

class CpuSet {
public:
    static constexpr int kMaxCpus = 8192;

    CpuSet() = default;  // empty
    static CpuSet all();
    static CpuSet of(std::initializer_list<int> cpus);  // CPUs out of range are ignored

    // "all" or a cpulist "0-3,6" (blanks around items allowed). EINVAL, naming
    // the text and the offending item, for an empty string, a CPU past
    // kMaxCpus-1, a reversed range "5-2", or anything else.
    static Result<CpuSet> parse(std::string_view text);
    // The same, but an empty (or all-blank) text is the empty set: a sysfs
    // cpulist of a node without CPUs is a lone newline.
    static Result<CpuSet> parse_cpulist(std::string_view text);

    // "all" when parsed as such, else the canonical cpulist as the kernel
    // prints it: ascending, every run of 2 or more consecutive CPUs as a
    // range ("0-1,4"), "" for the empty set.
    std::string to_string() const;

    bool is_all() const noexcept { return all_; }
    bool empty() const noexcept { return bits_.none(); }
    std::size_t count() const noexcept { return bits_.count(); }
    bool contains(int cpu) const noexcept { return cpu >= 0 && cpu < kMaxCpus && bits_.test(cpu); }
    std::vector<int> cpus() const;  // ascending
    int first() const noexcept;     // lowest CPU, -1 when empty

    void add(int cpu) noexcept;  // out of range: ignored
    void add_range(int first, int last) noexcept;

    CpuSet intersect(const CpuSet& other) const;
    CpuSet unite(const CpuSet& other) const;
    CpuSet minus(const CpuSet& other) const;  // CPUs of this set not in other
    bool intersects(const CpuSet& other) const { return (bits_ & other.bits_).any(); }

    friend bool operator==(const CpuSet& a, const CpuSet& b) { return a.bits_ == b.bits_; }

private:
    std::bitset<kMaxCpus> bits_;
    bool all_ = false;
};

}  // namespace memdomain::placement
