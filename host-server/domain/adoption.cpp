#include "domain/adoption.h"

#include <spdlog/spdlog.h>

#include "domain/registry_state.h"
#include "domain/store_names.h"
#include "memdomain/common/sizes.h"

namespace memdomain::server {
namespace {

config::DomainType type_of(InstanceKind k) {
    switch (k) {
        case InstanceKind::Shared: return config::DomainType::Shared;
        case InstanceKind::Local: return config::DomainType::Local;
        case InstanceKind::Numa: return config::DomainType::Numa;
    }
    return config::DomainType::Shared;
}

// An instance's segments adopted from the store, by generation.
struct AdoptedGroup {
    std::string domain;
    std::map<std::uint32_t, Segment> segments;
    std::uint32_t count = 0;
};

}  // namespace

AdoptedInstances adopt_stored_segments(std::vector<persist::InheritedFd>& inherited, const nlohmann::json& state) {
    std::map<std::uint64_t, AdoptedGroup> groups;
    for (auto& f : inherited) {
        if (parse_state_name(f.name)) continue;
        const auto id = parse_store_name(f.name);
        if (!id) {
            spdlog::warn("fd store: ignoring unknown descriptor '{}'", f.name);
            continue;
        }
        std::optional<SegmentSpec> recorded;
        if (state.contains("segments") && state["segments"].contains(f.name))
            recorded = spec_from_json(state["segments"][f.name]);
        std::string tampered;
        auto seg = Segment::adopt(std::move(f.fd), recorded ? &*recorded : nullptr, &tampered);
        if (!seg) {
            spdlog::error("fd store: '{}' is not a usable segment ({}); left alone", f.name, seg.error().message);
            continue;
        }
        if (!tampered.empty())
            spdlog::warn("fd store: '{}': {}; restored from the server's record", f.name, tampered);
        if (seg->spec().domain != id->domain || seg->generation() != id->generation || seg->spec().index != id->index) {
            spdlog::error("fd store: '{}' holds a segment whose header says domain {} generation {:016x} segment {} "
                          "(changed by a peer while no server watched?); not served",
                          f.name, seg->spec().domain, seg->generation(), seg->spec().index);
            continue;
        }
        AdoptedGroup& g = groups[seg->generation()];
        g.domain = seg->spec().domain;
        g.count = seg->spec().count;
        const std::uint32_t index = seg->spec().index;
        g.segments.emplace(index, std::move(seg).value());
    }
    AdoptedInstances adopted;
    for (auto& [gen, g] : groups) {
        bool consistent = true;
        for (const auto& [i, s] : g.segments)
            consistent &= s.spec().count == g.count && s.spec().domain == g.domain;
        if (!consistent || g.segments.size() != g.count) {
            spdlog::error("fd store: domain {} generation {:016x} has {} of its {} segments; not served", g.domain,
                          gen, g.segments.size(), g.count);
            continue;
        }
        std::vector<Segment> segs;
        for (auto& [i, s] : g.segments) segs.push_back(std::move(s));
        const SegmentSpec& s0 = segs.front().spec();
        InstanceKey key{s0.kind, s0.kind == InstanceKind::Numa ? s0.numa_node : -1, 0};
        if (key.kind == InstanceKind::Local) continue;  // its process is gone with the old server
        adopted[g.domain].push_back(std::make_unique<DomainInstance>(key, std::move(segs)));
    }

    return adopted;
}

config::DomainConfig with_stored_geometry(config::DomainConfig base, const DomainInstance& inst) {
    const SegmentSpec& s0 = inst.segment(0).spec();
    base.type = type_of(s0.kind);
    base.policy = s0.prefault ? config::DomainPolicy::Static : config::DomainPolicy::Dynamic;
    base.vectors = s0.vectors;
    base.max_peers = s0.max_peers;
    base.contiguous = s0.contiguous;
    base.vaddr = s0.map_address != 0 ? std::optional<std::uint64_t>(s0.map_address) : std::nullopt;
    base.segments.clear();
    for (std::size_t i = 0; i < inst.segment_count(); ++i) {
        const SegmentSpec& s = inst.segment(i).spec();
        config::SegmentConfig sc;
        sc.page_class = s.page_size == 4 * KiB ? PageClass::k4K
                        : s.page_size == 2 * MiB ? PageClass::k2M
                                                 : PageClass::k1G;
        sc.size = s.size;
        sc.access = s.access;
        sc.where = base.where;
        base.segments.push_back(sc);
    }
    return base;
}

bool geometry_matches(const config::DomainConfig& d, const DomainInstance& inst) {
    const SegmentSpec& s0 = inst.segment(0).spec();
    if (type_of(s0.kind) != d.type || s0.vectors != d.vectors || s0.max_peers != d.max_peers ||
        inst.segment_count() != d.segments.size() || s0.contiguous != d.contiguous)
        return false;
    const auto addresses = segment_map_addresses(d);
    for (std::size_t i = 0; i < d.segments.size(); ++i) {
        const SegmentSpec& s = inst.segment(i).spec();
        if (s.page_size != page_size_of(d.segments[i].page_class) || s.size != d.segments[i].size ||
            s.access != d.segments[i].access || s.map_address != addresses[i])
            return false;
    }
    return true;
}

}  // namespace memdomain::server
