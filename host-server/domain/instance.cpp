#include "domain/instance.h"

#include "domain/store_names.h"

#include <fmt/format.h>

#include "placement/cpu_set.h"
#include "placement/numa_placement.h"

namespace memdomain::server {

std::string to_string(const InstanceKey& key) {
    switch (key.kind) {
        case InstanceKind::Shared: return "shared";
        case InstanceKind::Local: return "local(pid " + std::to_string(key.pid) + ")";
        case InstanceKind::Numa: return "numa(node " + std::to_string(key.node) + ")";
    }
    return "?";
}

Result<std::vector<int>> domain_numa_nodes(const config::DomainConfig& d, const placement::NumaTopology* topology) {
    if (d.type != config::DomainType::Numa) return std::vector<int>{};
    const std::string at = config::to_string(d.where) + ": domain " + d.name + ": ";
    auto cpus = placement::CpuSet::parse(d.cpualias);
    if (!cpus) return make_error(at + "cpualias: " + cpus.error().message, cpus.error().sys);
    if (topology == nullptr) return make_error(at + "type = numa, but the NUMA topology is unknown", EINVAL);
    auto nodes = placement::domain_nodes(*topology, *cpus);
    if (!nodes) return make_error(at + nodes.error().message, nodes.error().sys);
    return std::move(nodes).value();
}

std::vector<InstanceKey> static_instance_keys(const config::DomainConfig& d, const std::vector<int>& nodes) {
    std::vector<InstanceKey> keys;
    if (d.policy != config::DomainPolicy::Static) return keys;
    if (d.type == config::DomainType::Shared) keys.push_back({InstanceKind::Shared, -1, 0});
    if (d.type == config::DomainType::Numa)
        for (int n : nodes) keys.push_back({InstanceKind::Numa, n, 0});
    return keys;
}

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

Result<std::vector<Segment>> create_instance_segments(const config::DomainConfig& d, const InstanceKey& key,
                                                     const InstanceMemoryOptions& options,
                                                     std::atomic<std::uint64_t>* progress) {
    const auto count = static_cast<std::uint32_t>(d.segments.size());
    const std::uint64_t generation = new_generation();
    const auto addresses = segment_map_addresses(d);
    std::vector<Segment> out;
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
        spec.generation = generation;
        spec.map_address = addresses[i];
        spec.kind = key.kind;
        spec.numa_node = key.node;
        spec.bind_numa = options.bind_numa && key.node >= 0;
        spec.contiguous = d.contiguous;
        MD_ASSIGN_OR_RETURN(Segment seg, Segment::create(spec, progress));
        out.push_back(std::move(seg));
    }
    return out;
}

DomainInstance::DomainInstance(InstanceKey key, std::vector<Segment> segments) : key_(key) {
    for (auto& s : segments) segments_.push_back(std::make_unique<Segment>(std::move(s)));
}

DomainInstance::~DomainInstance() {
    servers_.clear();  // before the segments they point at
}

Status DomainInstance::serve(EventLoop& loop, const ServerLimits& limits,
                             const std::vector<std::string>& namespace_paths, const std::function<void()>& on_change) {
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        auto srv = std::make_unique<DomainServer>(*segments_[i], namespace_paths.empty() ? "" : namespace_paths[i],
                                                  loop, limits, on_change);
        MD_TRY(srv->start());
        servers_.push_back(std::move(srv));
    }
    return {};
}

std::size_t DomainInstance::peer_count() const {
    std::size_t n = 0;
    for (const auto& s : servers_) n += s->peer_count();
    return n;
}

std::uint64_t DomainInstance::size() const {
    std::uint64_t n = 0;
    for (const auto& s : segments_) n += s->spec().size;
    return n;
}

std::uint64_t DomainInstance::resident_bytes() const {
    std::uint64_t n = 0;
    for (const auto& s : segments_) n += s->resident_bytes();
    return n;
}

std::string DomainInstance::store_name(std::size_t i) const {
    return format_store_name(generation(), static_cast<std::uint32_t>(i), segments_[i]->spec().domain);
}

}  // namespace memdomain::server
