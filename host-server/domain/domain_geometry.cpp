#include "domain/domain_geometry.h"

#include <set>

namespace memdomain::server {

std::vector<std::uint64_t> segment_map_addresses(const config::DomainConfig& d) {
    std::vector<std::uint64_t> out;
    std::uint64_t end = d.vaddr.value_or(0);
    for (const auto& s : d.segments) {
        if (!d.vaddr) {
            out.push_back(0);
            continue;
        }
        const std::uint64_t at = place_segment(end, page_size_of(s.page_class));
        out.push_back(at);
        end = at + s.size;
    }
    return out;
}

std::vector<SegmentSpec> segment_specs(const config::DomainConfig& d) {
    const auto count = static_cast<std::uint32_t>(d.segments.size());
    const auto addresses = segment_map_addresses(d);
    InstanceKind kind = InstanceKind::Shared;
    if (d.type == config::DomainType::Local) kind = InstanceKind::Local;
    if (d.type == config::DomainType::Numa) kind = InstanceKind::Numa;
    std::vector<SegmentSpec> out;
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto& sc = d.segments[i];
        SegmentSpec spec;
        spec.domain = d.name;
        spec.index = i;
        spec.count = count;
        spec.page_size = page_size_of(sc.page_class);
        spec.size = sc.size;
        spec.access = sc.access;
        spec.vectors = d.vectors;
        spec.max_peers = d.max_peers;
        spec.prefault = d.policy == config::DomainPolicy::Static;
        spec.generation = 0;
        spec.map_address = addresses[i];
        spec.kind = kind;
        spec.numa_node = -1;
        spec.bind_numa = false;
        spec.contiguous = d.contiguous;
        out.push_back(std::move(spec));
    }
    return out;
}

std::vector<std::string> geometry_changes(const std::vector<SegmentSpec>& before,
                                          const std::vector<SegmentSpec>& after) {
    std::vector<std::string> out;
    std::set<std::string> domain_keys;  // each domain-wide key once, from the first segment that shows it
    const std::size_t n = std::min(before.size(), after.size());
    if (before.size() != after.size()) {
        out.push_back("segments (" + std::to_string(before.size()) + " -> " + std::to_string(after.size()) + ")");
        domain_keys.insert("segments");
    }
    for (std::size_t i = 0; i < n; ++i)
        for (const GeometryDifference& g : geometry_differences(before[i], after[i])) {
            if (g.per_segment) {
                out.push_back("segment " + std::to_string(i) + " " + g.key + " (" + g.before + " -> " + g.after + ")");
                continue;
            }
            // A later segment's map address follows from vaddr and the
            // segments before it, which are compared themselves.
            if (g.key == "vaddr" && i > 0) continue;
            if (domain_keys.insert(g.key).second) out.push_back(g.key + " (" + g.before + " -> " + g.after + ")");
        }
    return out;
}

}  // namespace memdomain::server
