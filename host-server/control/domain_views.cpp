#include "control/domain_views.h"

#include <unistd.h>

#include "control/vm_attach.h"

namespace memdomain::control {
namespace {

using nlohmann::json;
using Entry = server::DomainRegistry::DomainEntry;

const char* type_name(config::DomainType t) {
    switch (t) {
        case config::DomainType::Shared: return "shared";
        case config::DomainType::Local: return "local";
        case config::DomainType::Numa: return "numa";
    }
    return "?";
}

const char* policy_name(config::DomainPolicy p) {
    return p == config::DomainPolicy::Static ? "static" : "dynamic";
}

std::size_t peer_count(const Entry& d) {
    std::size_t n = 0;
    for (const auto& s : d.segments) n += s.server->peers().size();
    return n;
}

std::uint64_t total_size(const Entry& d) {
    std::uint64_t n = 0;
    for (const auto& s : d.segments) n += s.segment->spec().size;
    return n;
}

// The rules of acl/acl.h, said for this domain.
json acl_view(const Entry& d) {
    json entries = json::array();
    if (!d.config.access) {
        return {{"explicit", false},
                {"summary", "default: root and the server's user (uid " + std::to_string(::geteuid()) +
                                ") get each segment's access; everyone else is refused"},
                {"entries", entries}};
    }
    for (const auto& e : *d.config.access)
        entries.push_back({{"kind", e.kind == config::AclEntry::Kind::User ? "user" : "group"},
                           {"principal", e.principal},
                           {"access", access_name(e.access)}});
    return {{"explicit", true},
            {"summary", "explicit: " + std::to_string(entries.size()) +
                            " entries, the highest matching right wins, capped by each segment's access; "
                            "no match (root included) is refused"},
            {"entries", entries}};
}

json segment_view(const server::DomainRegistry::SegmentEntry& s) {
    json peers = json::array();
    for (const auto& p : s.server->peers())
        peers.push_back({{"id", p.id},
                         {"pid", p.cred.pid},
                         {"uid", p.cred.uid},
                         {"gid", p.cred.gid},
                         {"access", access_name(p.access)},
                         {"queued", p.queued}});
    const auto& spec = s.segment->spec();
    return {{"index", spec.index},
            {"page_size", spec.page_size},
            {"size", spec.size},
            {"access", access_name(spec.access)},
            {"socket", s.server->socket_path()},
            {"namespace", s.server->namespace_path()},
            {"generation", s.segment->generation()},
            {"peers", peers}};
}

VmAttachSpec attach_spec(const Entry& d) {
    const auto& s0 = d.segments.front();
    return {d.config.name, s0.server->socket_path(), s0.server->namespace_path(), s0.segment->spec().size,
            d.config.vectors};
}

}  // namespace

const char* access_name(SegmentAccess a) { return a == SegmentAccess::ReadWrite ? "R/W" : "R/O"; }

json list_view(const server::DomainRegistry& reg) {
    json domains = json::array();
    for (const auto& d : reg.domains())
        domains.push_back({{"name", d->config.name},
                           {"type", type_name(d->config.type)},
                           {"policy", policy_name(d->config.policy)},
                           {"segments", d->segments.size()},
                           {"size", total_size(*d)},
                           {"peers", peer_count(*d)}});
    return {{"domains", domains}};
}

json show_view(const Entry& d) {
    json segments = json::array();
    for (const auto& s : d.segments) segments.push_back(segment_view(s));
    return {{"name", d.config.name},
            {"type", type_name(d.config.type)},
            {"policy", policy_name(d.config.policy)},
            {"vectors", d.config.vectors},
            {"max_peers", d.config.max_peers},
            {"acl", acl_view(d)},
            {"segments", segments}};
}

json qemu_args_view(const Entry& d) {
    const VmAttachSpec spec = attach_spec(d);
    // The server refuses a doorbell attach to a R/O segment (the device maps
    // read-write): offer only what would work.
    const bool writable = d.segments.front().segment->spec().access == SegmentAccess::ReadWrite;
    return {{"socket", spec.socket_path},
            {"namespace", spec.namespace_path},
            {"size", spec.size},
            {"vectors", spec.vectors},
            {"doorbell", writable ? json(qemu_doorbell_args(spec)) : json(nullptr)},
            {"readonly", qemu_readonly_args(spec)}};
}

json libvirt_xml_view(const Entry& d) { return {{"xml", libvirt_shmem_xml(attach_spec(d))}}; }

}  // namespace memdomain::control
