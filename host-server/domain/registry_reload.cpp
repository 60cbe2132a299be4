// DomainRegistry::reload (SIGHUP): what a changed config file may change
// while domains are served, and what it may not (memory in use, geometry).
#include <set>

#include "domain/config_checks.h"
#include "domain/domain_registry.h"

namespace memdomain::server {
namespace {

bool same_geometry(const config::DomainConfig& a, const config::DomainConfig& b) {
    if (a.type != b.type || a.policy != b.policy || a.cpualias != b.cpualias || a.vectors != b.vectors ||
        a.max_peers != b.max_peers || a.contiguous != b.contiguous || a.vaddr != b.vaddr ||
        a.segments.size() != b.segments.size())
        return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i)
        if (a.segments[i].page_class != b.segments[i].page_class || a.segments[i].size != b.segments[i].size ||
            a.segments[i].access != b.segments[i].access)
            return false;
    return true;
}

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

}  // namespace

ReloadReport DomainRegistry::reload(const config::Config& cfg) {
    ReloadReport r;
    server_.admin_group = cfg.server.admin_group;
    server_.admin_group_where = cfg.server.admin_group_where;
    server_.libvirt_run_dir = cfg.server.libvirt_run_dir;
    ctx_.libvirt_run_dir = cfg.server.libvirt_run_dir;
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
        bool changed = false;
        if (!same_geometry(d, served.config()))
            r.warnings.push_back(d.name + ": type, policy, segments or limits changed; not applied while the domain "
                                          "exists (destroy it, then reload)");
        if (!same_access(d.access, served.config().access) || served.access_changed()) {
            auto n = served.set_access(d.access, /*runtime=*/false);
            if (!n)
                r.warnings.push_back(d.name + ": access not applied: " + n.error().message);
            else {
                changed = true;
                if (*n > 0) r.warnings.push_back(d.name + ": " + std::to_string(*n) + " peer(s) lost their grant");
            }
        }
        if (!same_socket(d.socket, served.config().socket)) {
            if (auto st = served.set_socket(d.socket); !st)
                r.warnings.push_back(d.name + ": socket block not applied: " + st.error().message);
            else
                changed = true;
        }
        if (changed) r.updated.push_back(d.name);
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
