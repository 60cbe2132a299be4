#include "acl/acl.h"

#include <unistd.h>

#include <algorithm>

#include "acl/principals.h"

namespace memdomain::server {

Result<AccessList> AccessList::from_config(const std::optional<std::vector<config::AclEntry>>& entries) {
    AccessList acl;
    if (!entries) return acl;
    acl.explicit_ = true;
    for (const auto& e : *entries) {
        auto id = e.kind == config::AclEntry::Kind::User ? resolve_user(e.principal, e.where)
                                                         : resolve_group(e.principal, e.where);
        if (!id) return std::move(id).error();
        acl.entries_.push_back({e.kind == config::AclEntry::Kind::Group, *id, e.access});
    }
    return acl;
}

Result<SegmentAccess> AccessList::decide(const ClientIdentity& who, SegmentAccess segment_max) const {
    if (!explicit_) {
        if (who.uid == 0 || who.uid == ::geteuid()) return segment_max;
        return make_error("uid " + std::to_string(who.uid) +
                              " is not root or the server's user, and the domain has no access block",
                          EACCES);
    }
    std::optional<SegmentAccess> best;
    for (const auto& e : entries_) {
        bool match = e.is_group ? (e.id == who.gid ||
                                   std::find(who.groups.begin(), who.groups.end(), e.id) != who.groups.end())
                                : e.id == who.uid;
        if (match && (!best || e.access == SegmentAccess::ReadWrite)) best = e.access;
    }
    if (!best)
        return make_error("no access entry grants uid " + std::to_string(who.uid) + " (gid " +
                              std::to_string(who.gid) + ")",
                          EACCES);
    if (segment_max == SegmentAccess::ReadOnly) return SegmentAccess::ReadOnly;
    return *best;
}

}  // namespace memdomain::server
