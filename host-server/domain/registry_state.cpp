#include "domain/registry_state.h"

#include <cstring>

#include <spdlog/spdlog.h>

#include "domain/store_names.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::server {
namespace {

Result<std::string> read_whole(int fd) {
    MD_ASSIGN_OR_RETURN(const std::uint64_t size, sys::fd_size(fd));
    if (size == 0) return std::string();
    if (size > 16 * MiB) return make_error("state file too large", EFBIG);
    MD_ASSIGN_OR_RETURN(auto m, sys::map_shared(fd, size, sys::Protection::ReadOnly));
    return std::string(reinterpret_cast<const char*>(m.data()), size);
}

}  // namespace

nlohmann::json access_to_json(const std::optional<std::vector<config::AclEntry>>& access) {
    if (!access) return nullptr;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *access)
        out.push_back({{"kind", config::to_string(e.kind)},
                       {"principal", e.principal},
                       {"access", e.access == SegmentAccess::ReadWrite ? "R/W" : "R/O"}});
    return out;
}

std::optional<std::vector<config::AclEntry>> access_from_json(const nlohmann::json& j) {
    if (!j.is_array()) return std::nullopt;
    std::vector<config::AclEntry> out;
    for (const auto& e : j) {
        if (!e.is_object() || !e.contains("kind") || !e.contains("principal") || !e.contains("access")) continue;
        config::AclEntry a;
        if (!e["kind"].is_string() || !e["principal"].is_string()) continue;
        a.kind = config::acl_kind_from(e["kind"].get<std::string>()).value_or(config::AclEntry::Kind::User);
        a.principal = e["principal"].get<std::string>();
        a.access = e["access"] == "R/W" ? SegmentAccess::ReadWrite : SegmentAccess::ReadOnly;
        a.where.file = "control";
        out.push_back(std::move(a));
    }
    return out;
}

nlohmann::json leases_to_json(const VmLeases& leases) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [vm, access] : leases) out[vm] = access == SegmentAccess::ReadWrite ? "R/W" : "R/O";
    return out;
}

VmLeases leases_from_json(const nlohmann::json& j) {
    VmLeases out;
    if (!j.is_object()) return out;
    for (const auto& [vm, access] : j.items())
        if (access == "R/W" || access == "R/O")
            out[vm] = access == "R/W" ? SegmentAccess::ReadWrite : SegmentAccess::ReadOnly;
    return out;
}

nlohmann::json spec_to_json(const SegmentSpec& s) {
    return {{"domain", s.domain},         {"index", s.index},
            {"count", s.count},           {"page_size", s.page_size},
            {"size", s.size},             {"access", static_cast<std::uint32_t>(s.access)},
            {"vectors", s.vectors},       {"max_peers", s.max_peers},
            {"prefault", s.prefault},     {"generation", s.generation},
            {"map_address", s.map_address}, {"kind", static_cast<std::uint32_t>(s.kind)},
            {"numa_node", s.numa_node},   {"contiguous", s.contiguous}};
}

std::optional<SegmentSpec> spec_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    try {
        SegmentSpec s;
        s.domain = j.at("domain").get<std::string>();
        s.index = j.at("index").get<std::uint32_t>();
        s.count = j.at("count").get<std::uint32_t>();
        s.page_size = j.at("page_size").get<std::uint64_t>();
        s.size = j.at("size").get<std::uint64_t>();
        s.access = static_cast<SegmentAccess>(j.at("access").get<std::uint32_t>());
        s.vectors = j.at("vectors").get<std::uint32_t>();
        s.max_peers = j.at("max_peers").get<std::uint32_t>();
        s.prefault = j.at("prefault").get<bool>();
        s.generation = j.at("generation").get<std::uint64_t>();
        s.map_address = j.at("map_address").get<std::uint64_t>();
        s.kind = static_cast<InstanceKind>(j.at("kind").get<std::uint32_t>());
        s.numa_node = j.at("numa_node").get<std::int32_t>();
        s.contiguous = j.at("contiguous").get<bool>();
        // The record is ours, but check it as strictly as a header: write
        // one from it and validate that.
        auto g = segment_geometry(header_spec(s));
        if (!g) return std::nullopt;
        std::vector<std::byte> scratch(g->data_offset);
        if (!write_segment_header(scratch.data(), header_spec(s))) return std::nullopt;
        if (!validate_segment_header(scratch.data(), s.size)) return std::nullopt;
        return s;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

StoredState read_stored_state(const std::vector<persist::InheritedFd>& inherited) {
    StoredState out;
    std::optional<std::uint64_t> best;
    std::string best_name;
    for (const auto& f : inherited) {
        const auto seq = parse_state_name(f.name);
        if (!seq) continue;
        auto text = read_whole(f.fd.get());
        nlohmann::json state = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
        if (!text || state.is_discarded() || !state.is_object()) {
            spdlog::warn("fd store: unreadable state {}; ignored", f.name);
            out.stale_names.push_back(f.name);
            continue;
        }
        if (best && *seq <= *best) {
            out.stale_names.push_back(f.name);
            continue;
        }
        if (best) out.stale_names.push_back(best_name);
        best = *seq;
        best_name = f.name;
        out.state = std::move(state);
    }
    out.sequence = best.value_or(0);
    out.name = best_name;
    return out;
}

Result<sys::UniqueFd> state_memfd(const nlohmann::json& state) {
    const std::string text = state.dump();
    MD_ASSIGN_OR_RETURN(auto fd, sys::memfd_create("memdomain:state", 4 * KiB));
    MD_TRY(sys::ftruncate(fd.get(), text.size()));
    if (!text.empty()) {
        MD_ASSIGN_OR_RETURN(auto m, sys::map_shared(fd.get(), text.size(), sys::Protection::ReadWrite));
        std::memcpy(m.data(), text.data(), text.size());
    }
    return fd;
}

}  // namespace memdomain::server
