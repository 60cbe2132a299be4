#include "acl/acl.h"

#include <unistd.h>

#include <algorithm>

#include "acl/principals.h"

namespace memdomain::server {
namespace {

using Kind = config::AclEntry::Kind;

// A read-only entry the kernel could not enforce (acl.h), with the reason.
Status enforceable(const config::AclEntry& e, unsigned id) {
    if (e.access != SegmentAccess::ReadOnly || e.kind == Kind::Vm) return {};
    const bool group = e.kind == Kind::Group;
    std::string names;
    for (const auto& u : group ? privileged_members(static_cast<gid_t>(id)) : privileged_users())
        if (group || u.uid == id) names += (names.empty() ? "" : " and ") + u.shown;
    if (names.empty()) return {};
    const std::string subject =
        group ? "group '" + e.principal + "', which includes " + names + "," : "user " + names;
    // Grants through control.sock have no line to point at.
    const std::string at = e.where.line > 0 ? config::to_string(e.where) + ": " : "";
    return make_error(at + "a read-only grant to " + subject +
                          " cannot be enforced: root and memdomaind's own user can reopen the descriptor "
                          "read-write (/proc/self/fd/N), root by capability and memdomaind's user because it owns "
                          "the memory; grant R/W, or nothing",
                      EINVAL);
}

}  // namespace

Result<AccessList> AccessList::from_config(const std::optional<std::vector<config::AclEntry>>& entries) {
    AccessList acl;
    if (!entries) return acl;
    acl.explicit_ = true;
    for (const auto& e : *entries) {
        if (e.kind == Kind::Vm) {
            acl.entries_.push_back({e.kind, 0, e.principal, e.access});
            continue;
        }
        auto id = e.kind == Kind::User ? resolve_user(e.principal, e.where) : resolve_group(e.principal, e.where);
        if (!id) return std::move(id).error();
        MD_TRY(enforceable(e, *id));
        acl.entries_.push_back({e.kind, *id, {}, e.access});
    }
    return acl;
}

std::optional<SegmentAccess> AccessList::vm_permission(std::string_view vm) const {
    std::optional<SegmentAccess> best;
    for (const auto& e : entries_)
        if (e.kind == Kind::Vm && (e.vm == vm || e.vm == config::kAnyVm) &&
            (!best || e.access == SegmentAccess::ReadWrite))
            best = e.access;
    return best;
}

Result<SegmentAccess> AccessList::decide(const ClientIdentity& who, SegmentAccess segment_max,
                                         const VmLeases& leases) const {
    std::optional<SegmentAccess> best;
    auto take = [&best](SegmentAccess a) {
        if (!best || a == SegmentAccess::ReadWrite) best = a;
    };
    if (who.vm) {
        // A VM: its own vm entries and leases only ("*" admits through a
        // lease, never by itself).
        for (const auto& e : entries_)
            if (e.kind == Kind::Vm && e.vm == *who.vm && e.vm != config::kAnyVm) take(e.access);
        if (auto it = leases.find(*who.vm); it != leases.end()) take(it->second);
        if (!best)
            return make_error("libvirt VM '" + *who.vm + "' (uid " + std::to_string(who.uid) +
                                  ") has no grant on this domain: a VM is admitted by a 'vm " + *who.vm +
                                  "' entry or a lease (the libvirt hook, memdomainctl attach), never by its uid",
                              EACCES);
    } else if (!explicit_) {
        if (who.uid == 0 || who.uid == ::geteuid()) return segment_max;
        return make_error("uid " + std::to_string(who.uid) +
                              " is not root or the server's user, and the domain has no access block",
                          EACCES);
    } else {
        for (const auto& e : entries_) {
            const bool match =
                e.kind == Kind::Group ? (e.id == who.gid ||
                                         std::find(who.groups.begin(), who.groups.end(), e.id) != who.groups.end())
                : e.kind == Kind::User ? e.id == who.uid
                                       : false;
            if (match) take(e.access);
        }
        if (!best)
            return make_error("no access entry grants uid " + std::to_string(who.uid) + " (gid " +
                                  std::to_string(who.gid) + ")",
                              EACCES);
    }
    if (segment_max == SegmentAccess::ReadOnly) return SegmentAccess::ReadOnly;
    return *best;
}

}  // namespace memdomain::server
