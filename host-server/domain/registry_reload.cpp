// DomainRegistry::reload (SIGHUP): what a changed config file may change
// while domains are served, and what it may not.
//
// Applied, since none of it touches memory: the server block (listen
// backlog of every domain socket, per-peer queue limit of every peer,
// admin_group), and per domain grace, cpualias (a numa domain only while it
// has no instance), access and socket blocks. Not applied while the domain
// exists, each named in one warning for the domain: everything its memory
// embodies (domain_geometry.h: type, vectors, max_peers, contiguous, vaddr,
// segments, page sizes, sizes, access of a segment), policy (instances are
// made and freed by it), and cpualias where instances exist.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "domain/config_checks.h"
#include "domain/domain_geometry.h"
#include "domain/domain_registry.h"

namespace memdomain::server {
namespace {

bool same_access(const std::optional<std::vector<config::AclEntry>>& a,
                 const std::optional<std::vector<config::AclEntry>>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    if (a->size() != b->size()) return false;
    for (std::size_t i = 0; i < a->size(); ++i)
        if ((*a)[i].kind != (*b)[i].kind || (*a)[i].principal != (*b)[i].principal || (*a)[i].access != (*b)[i].access)
            return false;
    return true;
}

bool same_socket(const config::SocketConfig& a, const config::SocketConfig& b) {
    return a.owner == b.owner && a.group == b.group && a.mode == b.mode;
}

const char* policy_name(config::DomainPolicy p) { return p == config::DomainPolicy::Static ? "static" : "dynamic"; }

}  // namespace

void DomainRegistry::reload_server_block(const config::ServerConfig& next, ReloadReport& r) {
    const bool backlog = next.max_pending_connections != server_.max_pending_connections;
    const bool queue = next.max_queued_messages != server_.max_queued_messages;
    if (backlog)
        r.applied.push_back(fmt::format("server: max_pending_connections {} -> {}", server_.max_pending_connections,
                                        next.max_pending_connections));
    if (queue)
        r.applied.push_back(fmt::format("server: max_queued_messages {} -> {}", server_.max_queued_messages,
                                        next.max_queued_messages));
    if (next.admin_group != server_.admin_group)
        r.applied.push_back(fmt::format("server: admin_group {} -> {}", server_.admin_group.value_or("none"),
                                        next.admin_group.value_or("none")));
    if (next.libvirt_run_dir != server_.libvirt_run_dir)
        r.applied.push_back(fmt::format("server: libvirt_run_dir {} -> {}", server_.libvirt_run_dir,
                                        next.libvirt_run_dir));
    server_ = next;
    ctx_.libvirt_run_dir = next.libvirt_run_dir;
    ctx_.limits.listen_backlog = static_cast<int>(next.max_pending_connections);
    ctx_.limits.max_queued_messages = next.max_queued_messages;
    if (!backlog && !queue) return;
    for (const auto& [name, d] : domains_)
        if (auto st = d->apply_limits(); !st)
            r.warnings.push_back(name + ": server limits not applied to its sockets: " + st.error().message);
}

bool DomainRegistry::reload_domain(const config::DomainConfig& d, ServedDomain& served, ReloadReport& r) {
    const config::DomainConfig& now = served.config();
    std::vector<std::string> refused = geometry_changes(segment_specs(now), segment_specs(d));
    std::vector<std::string> applied;
    if (d.policy != now.policy)
        refused.push_back(fmt::format("policy ({} -> {})", policy_name(now.policy), policy_name(d.policy)));
    if (d.grace_ms != now.grace_ms) {
        applied.push_back(fmt::format("grace {} ms -> {} ms", now.grace_ms, d.grace_ms));
        served.set_grace(d.grace_ms);
    }
    if (d.cpualias != now.cpualias) {
        const std::string change = fmt::format("cpualias (\"{}\" -> \"{}\")", now.cpualias, d.cpualias);
        if (auto st = served.set_cpualias(d.cpualias); st)
            applied.push_back(change);
        else if (st.error().sys == EBUSY)
            refused.push_back(change + " while " + st.error().message);
        else
            r.warnings.push_back(d.name + ": cpualias not applied: " + st.error().message);
    }
    if (!same_access(d.access, now.access) || served.access_changed()) {
        auto n = served.set_access(d.access, /*runtime=*/false);
        if (!n) {
            r.warnings.push_back(d.name + ": access not applied: " + n.error().message);
        } else {
            applied.push_back("access");
            if (*n > 0) r.warnings.push_back(d.name + ": " + std::to_string(*n) + " peer(s) lost their grant");
        }
    }
    if (!same_socket(d.socket, served.config().socket)) {
        if (auto st = served.set_socket(d.socket); !st)
            r.warnings.push_back(d.name + ": socket block not applied: " + st.error().message);
        else
            applied.push_back("socket");
    }
    if (!refused.empty())
        r.warnings.push_back(fmt::format("{}: {} cannot change while the domain exists; not applied (destroy it, "
                                         "then reload)",
                                         d.name, fmt::join(refused, ", ")));
    for (const auto& a : applied) r.applied.push_back(d.name + ": " + a);
    return !applied.empty();
}

ReloadReport DomainRegistry::reload(const config::Config& cfg) {
    ReloadReport r;
    reload_server_block(cfg.server, r);
    std::set<std::string> in_file;
    for (const auto& d : cfg.domains) {
        in_file.insert(d.name);
        auto it = domains_.find(d.name);
        if (it == domains_.end()) {
            if (pending_.count(d.name)) {
                r.warnings.push_back(d.name + ": being created at runtime; the file's definition is ignored");
                continue;
            }
            Status st = check_domain(d, opt_.topology);
            if (st) st = check_hugepage_pools({d}, opt_.topology);
            if (st) st = start_domain(d, DomainOrigin::Config, {});
            if (st)
                r.added.push_back(d.name);
            else
                r.warnings.push_back(d.name + ": not added: " + st.error().message);
            continue;
        }
        ServedDomain& served = *it->second;
        if (served.origin() == DomainOrigin::Runtime) {
            r.warnings.push_back(d.name + ": created at runtime; the file's definition is ignored until it is destroyed");
            continue;
        }
        if (reload_domain(d, served, r)) r.updated.push_back(d.name);
    }
    std::vector<std::string> gone;
    for (const auto& [name, d] : domains_)
        if (d->origin() == DomainOrigin::Config && !in_file.count(name)) gone.push_back(name);
    for (const auto& name : gone) {
        if (domains_.at(name)->peer_count() > 0) {
            r.kept.push_back(name);
            r.warnings.push_back(name + ": removed from the file but " +
                                 std::to_string(domains_.at(name)->peer_count()) +
                                 " peer(s) are attached; kept (destroy it explicitly)");
            continue;
        }
        (void)destroy_domain(name, false);
        r.removed.push_back(name);
    }
    save_state();
    return r;
}

}  // namespace memdomain::server
