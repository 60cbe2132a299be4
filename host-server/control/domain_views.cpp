#include "control/domain_views.h"

#include <unistd.h>

#include "control/vm_attach.h"

namespace memdomain::control {
namespace {

using nlohmann::json;
using server::DomainInstance;
using server::ServedDomain;

std::uint64_t total_size(const ServedDomain& d) {
    std::uint64_t n = 0;
    for (const auto& s : d.config().segments) n += s.size;
    return n;
}

std::uint64_t resident(const ServedDomain& d) {
    std::uint64_t n = 0;
    for (const auto& [k, inst] : d.instances()) n += inst->resident_bytes();
    return n;
}

json instance_segment_view(const DomainInstance& inst, std::size_t i) {
    const auto& seg = inst.segment(i);
    json peers = json::array();
    for (const auto& p : inst.server(i).peers()) {
        json rings = json::array();
        for (std::uint32_t v = 0; v < seg.spec().vectors; ++v) rings.push_back(seg.mailbox_count(p.id, v));
        peers.push_back({{"id", p.id},
                         {"pid", p.cred.pid},
                         {"uid", p.cred.uid},
                         {"gid", p.cred.gid},
                         {"access", access_name(p.access)},
                         {"queued", p.queued},
                         {"doorbells", rings}});
    }
    return {{"index", i},
            {"resident", seg.resident_bytes()},
            {"map_address", seg.spec().map_address},
            {"peers", peers}};
}

}  // namespace

json instance_view(const DomainInstance& inst) {
    const auto& key = inst.key();
    json segments = json::array();
    for (std::size_t i = 0; i < inst.segment_count(); ++i) segments.push_back(instance_segment_view(inst, i));
    json j = {{"key", server::to_string(key)},
              {"generation", inst.generation()},
              {"size", inst.size()},
              {"resident", inst.resident_bytes()},
              {"peers", inst.peer_count()},
              {"node", key.node >= 0 ? json(key.node) : json(nullptr)},
              {"owner_pid", key.pid != 0 ? json(key.pid) : json(nullptr)},
              {"grace_pending", inst.grace_timer != 0},
              {"segments", segments}};
    return j;
}

namespace {

VmAttachSpec attach_spec(const ServedDomain& d, std::size_t i) {
    const std::string name = i == 0 ? d.config().name : d.config().name + "@" + std::to_string(i);
    return {name, d.socket_path(i), d.namespace_path(i), d.config().segments[i].size, d.config().vectors,
            static_cast<std::uint32_t>(i)};
}

}  // namespace

json acl_view(const ServedDomain& d) {
    json entries = json::array(), leases = json::array();
    for (const auto& [vm, access] : d.leases()) leases.push_back({{"vm", vm}, {"access", access_name(access)}});
    if (!d.config().access) {
        return {{"explicit", false},
                {"summary", "default: root and the server's user (uid " + std::to_string(::geteuid()) +
                                ") get each segment's access; everyone else is refused; libvirt VMs need a lease"},
                {"entries", entries},
                {"leases", leases}};
    }
    for (const auto& e : *d.config().access)
        entries.push_back(
            {{"kind", config::to_string(e.kind)}, {"principal", e.principal}, {"access", access_name(e.access)}});
    return {{"explicit", true},
            {"summary", "explicit: " + std::to_string(entries.size()) +
                            " entries, the highest matching right wins, capped by each segment's access; "
                            "no match (root included) is refused; libvirt VMs by their vm entries and leases only"},
            {"entries", entries},
            {"leases", leases}};
}

const char* access_name(SegmentAccess a) { return a == SegmentAccess::ReadWrite ? "R/W" : "R/O"; }

const char* type_name(config::DomainType t) {
    switch (t) {
        case config::DomainType::Shared: return "shared";
        case config::DomainType::Local: return "local";
        case config::DomainType::Numa: return "numa";
    }
    return "?";
}

const char* policy_name(config::DomainPolicy p) { return p == config::DomainPolicy::Static ? "static" : "dynamic"; }

json list_view(const server::DomainRegistry& reg) {
    json domains = json::array();
    for (const auto& [name, d] : reg.domains())
        domains.push_back({{"name", name},
                           {"type", type_name(d->config().type)},
                           {"policy", policy_name(d->config().policy)},
                           {"origin", server::to_string(d->origin())},
                           {"segments", d->config().segments.size()},
                           {"size", total_size(*d)},
                           {"instances", d->instances().size()},
                           {"resident", resident(*d)},
                           {"peers", d->peer_count()}});
    return {{"domains", domains}};
}

json show_view(const ServedDomain& d) {
    const auto& c = d.config();
    json segments = json::array();
    for (std::size_t i = 0; i < c.segments.size(); ++i) {
        const auto& sc = c.segments[i];
        segments.push_back({{"index", i},
                            {"page_size", page_size_of(sc.page_class)},
                            {"size", sc.size},
                            {"access", access_name(sc.access)},
                            {"socket", d.socket_path(i)},
                            {"namespace", d.namespace_path(i)}});
    }
    json instances = json::array();
    for (const auto& [k, inst] : d.instances()) instances.push_back(instance_view(*inst));
    json nodes = json::array();
    for (int n : d.nodes()) nodes.push_back(n);
    return {{"name", c.name},
            {"type", type_name(c.type)},
            {"policy", policy_name(c.policy)},
            {"origin", server::to_string(d.origin())},
            {"cpualias", c.cpualias},
            {"nodes", nodes},
            {"grace_ms", c.grace_ms},
            {"contiguous", c.contiguous},
            {"vaddr", c.vaddr ? json(*c.vaddr) : json(nullptr)},
            {"vectors", c.vectors},
            {"max_peers", c.max_peers},
            {"acl", acl_view(d)},
            {"segments", segments},
            {"instances", instances}};
}

json qemu_args_view(const ServedDomain& d) {
    const auto& c = d.config();
    // The server refuses a doorbell attach to a R/O segment (the device maps
    // read-write): offer only what would work. A VM attaches every segment
    // as one device; the guest library groups them by generation.
    json doorbell = json::array(), readonly = json::array();
    bool all_writable = true, plain_possible = c.type == config::DomainType::Shared;
    for (std::size_t i = 0; i < c.segments.size(); ++i) {
        const VmAttachSpec s = attach_spec(d, i);
        if (c.segments[i].access != SegmentAccess::ReadWrite) all_writable = false;
        for (auto& a : qemu_doorbell_args(s)) doorbell.push_back(a);
        for (auto& a : qemu_readonly_args(s)) readonly.push_back(a);
    }
    const VmAttachSpec s0 = attach_spec(d, 0);
    return {{"socket", s0.socket_path},
            {"namespace", s0.namespace_path},
            {"size", s0.size},
            {"vectors", s0.vectors},
            {"segments", c.segments.size()},
            {"doorbell", all_writable ? doorbell : json(nullptr)},
            {"readonly", plain_possible ? readonly : json(nullptr)}};
}

Result<json> libvirt_xml_view(const ServedDomain& d, const std::optional<std::string>& vm, bool readonly) {
    const auto& c = d.config();
    std::string doorbell;
    std::vector<VmAttachSpec> specs;
    json objects = json::array(), devices = json::array(), shmem = json::array(), sockets = json::array();
    bool all_writable = true;
    for (std::size_t i = 0; i < c.segments.size(); ++i) {
        specs.push_back(attach_spec(d, i));
        shmem.push_back(libvirt_shmem_xml(specs.back()));
        sockets.push_back(specs.back().socket_path);
        doorbell += libvirt_shmem_xml(specs.back());
        objects.push_back(qemu_readonly_object(specs.back()));
        devices.push_back(qemu_readonly_device(specs.back()));
        if (c.segments[i].access != SegmentAccess::ReadWrite) all_writable = false;
    }
    // The read-only form needs the one memory a namespace entry names.
    const bool plain_possible = c.type == config::DomainType::Shared;
    const json readonly_xml = plain_possible ? json(libvirt_readonly_xml(specs)) : json(nullptr);
    json out = {{"doorbell_xml", all_writable ? json(doorbell) : json(nullptr)},
                {"shmem", all_writable ? shmem : json(nullptr)},
                {"sockets", sockets},
                {"readonly_xml", readonly_xml},
                {"objects", plain_possible ? objects : json(nullptr)},
                {"devices", plain_possible ? devices : json(nullptr)}};
    std::optional<SegmentAccess> access;
    if (vm) {
        access = d.vm_grant(*vm);
        if (!access)
            return make_error("domain '" + c.name + "' grants VM '" + *vm + "' nothing (no 'vm " + *vm +
                                  "' or 'vm *' entry, no lease): memdomainctl grant " + c.name + " vm " + *vm + " R/W",
                              EACCES);
        out["access"] = access_name(*access);
    }
    if (readonly || (access && *access == SegmentAccess::ReadOnly) || !all_writable) {
        if (!plain_possible)
            return make_error("domain '" + c.name + "' is " + type_name(c.type) +
                                  ": only a shared domain has the one memory a read-only VM maps",
                              EINVAL);
        out["form"] = "readonly";
        out["xml"] = readonly_xml;
    } else {
        out["form"] = "doorbell";
        out["xml"] = doorbell;
    }
    return out;
}

}  // namespace memdomain::control
