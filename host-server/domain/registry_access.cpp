// Who may change domains (root or admin_group), and the control plane's
// grant and revoke (one access entry added, replaced or removed) and lease
// and release (a VM's grant for one run: acl/acl.h), with the peers the new
// rules no longer admit disconnected.
#include <unistd.h>

#include <algorithm>
#include <set>

#include "acl/principals.h"
#include "domain/domain_registry.h"

namespace memdomain::server {

bool DomainRegistry::may_administer(const sys::PeerCredentials& cred, const std::vector<gid_t>& groups) const {
    if (cred.uid == 0) return true;
    if (!server_.admin_group) return false;
    auto gid = resolve_group(*server_.admin_group, server_.admin_group_where);
    if (!gid) return false;
    return cred.gid == *gid || std::find(groups.begin(), groups.end(), *gid) != groups.end();
}

namespace {

// Does `e` name the same principal as (kind, principal)? Compared by id, so
// "root" and "0" are one user.
bool same_principal(const config::AclEntry& e, config::AclEntry::Kind kind, std::string_view principal) {
    if (e.kind != kind) return false;
    if (e.principal == principal) return true;
    if (kind == config::AclEntry::Kind::Vm) return false;  // names, compared as written
    const config::SourceLocation nowhere{"control", 0, 0};
    if (kind == config::AclEntry::Kind::User) {
        auto a = resolve_user(e.principal, nowhere);
        auto b = resolve_user(std::string(principal), nowhere);
        return a && b && *a == *b;
    }
    auto a = resolve_group(e.principal, nowhere);
    auto b = resolve_group(std::string(principal), nowhere);
    return a && b && *a == *b;
}

// The explicit form of the default policy (root and the server's user get
// the segments' access), so a first grant does not lock them out.
std::vector<config::AclEntry> explicit_default() {
    std::vector<config::AclEntry> out;
    for (uid_t u : std::set<uid_t>{0, ::geteuid()}) {
        config::AclEntry e;
        e.kind = config::AclEntry::Kind::User;
        e.principal = std::to_string(u);
        e.access = SegmentAccess::ReadWrite;
        e.where.file = "control";
        out.push_back(e);
    }
    return out;
}

}  // namespace

Result<std::size_t> DomainRegistry::grant(std::string_view name, const config::AclEntry& entry) {
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    std::vector<config::AclEntry> acl = it->second->config().access.value_or(explicit_default());
    acl.erase(std::remove_if(acl.begin(), acl.end(),
                             [&](const config::AclEntry& e) { return same_principal(e, entry.kind, entry.principal); }),
              acl.end());
    acl.push_back(entry);
    MD_ASSIGN_OR_RETURN(const std::size_t n, it->second->set_access(std::move(acl)));
    save_state();
    return n;
}

Result<std::size_t> DomainRegistry::revoke(std::string_view name, config::AclEntry::Kind kind,
                                           std::string_view principal) {
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    std::vector<config::AclEntry> acl = it->second->config().access.value_or(explicit_default());
    const auto before = acl.size();
    acl.erase(std::remove_if(acl.begin(), acl.end(),
                             [&](const config::AclEntry& e) { return same_principal(e, kind, principal); }),
              acl.end());
    // Revoking a VM takes its lease too: "cut it off now" is what is meant.
    const bool had_lease = kind == config::AclEntry::Kind::Vm && it->second->leases().count(principal) > 0;
    if (acl.size() == before && !had_lease)
        return make_error("domain '" + std::string(name) + "' grants nothing to " + config::to_string(kind) + " " +
                              std::string(principal),
                          ENOENT);
    std::size_t n = 0;
    if (had_lease) n += it->second->release(principal).value_or(0);
    if (acl.size() != before) {
        MD_ASSIGN_OR_RETURN(const std::size_t m, it->second->set_access(std::move(acl)));
        n += m;
    }
    save_state();
    return n;
}

Result<std::size_t> DomainRegistry::lease(std::string_view name, const std::string& vm, SegmentAccess access,
                                          bool check) {
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    MD_ASSIGN_OR_RETURN(const std::size_t n, it->second->lease(vm, access, check));
    save_state();
    return n;
}

std::vector<ReleasedLease> DomainRegistry::release(std::string_view vm, std::optional<std::string_view> name) {
    std::vector<ReleasedLease> out;
    for (auto& [domain, d] : domains_) {
        if (name && domain != *name) continue;
        if (auto n = d->release(vm)) out.push_back({domain, *n});
    }
    if (!out.empty()) save_state();
    return out;
}

}  // namespace memdomain::server
