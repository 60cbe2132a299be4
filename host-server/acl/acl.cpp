#include "acl/acl.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace memdomain::server {
namespace {

std::optional<unsigned> parse_id(const std::string& s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

Result<unsigned> resolve(const config::AclEntry& e) {
    if (auto id = parse_id(e.principal)) return *id;
    std::vector<char> buf(16384);
    if (e.kind == config::AclEntry::Kind::User) {
        passwd pw{}, *res = nullptr;
        if (::getpwnam_r(e.principal.c_str(), &pw, buf.data(), buf.size(), &res) == 0 && res) return res->pw_uid;
        return make_error(config::to_string(e.where) + ": unknown user '" + e.principal + "'", ENOENT);
    }
    group gr{}, *res = nullptr;
    if (::getgrnam_r(e.principal.c_str(), &gr, buf.data(), buf.size(), &res) == 0 && res) return res->gr_gid;
    return make_error(config::to_string(e.where) + ": unknown group '" + e.principal + "'", ENOENT);
}

}  // namespace

Result<AccessList> AccessList::from_config(const std::optional<std::vector<config::AclEntry>>& entries) {
    AccessList acl;
    if (!entries) return acl;
    acl.explicit_ = true;
    for (const auto& e : *entries) {
        MD_ASSIGN_OR_RETURN(unsigned id, resolve(e));
        acl.entries_.push_back({e.kind == config::AclEntry::Kind::Group, id, e.access});
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
