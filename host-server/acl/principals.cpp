#include "acl/principals.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace memdomain::server {
namespace {

std::optional<unsigned> parse_id(const std::string& s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

struct Passwd {
    std::string name;
    gid_t gid;
};

std::optional<Passwd> lookup_uid(uid_t uid) {
    std::vector<char> buf(16384);
    passwd pw{}, *res = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) != 0 || !res) return std::nullopt;
    return Passwd{res->pw_name, res->pw_gid};
}

}  // namespace

std::vector<PrivilegedUser> privileged_users() {
    std::vector<PrivilegedUser> out;
    for (uid_t uid : {uid_t{0}, ::geteuid()}) {
        if (!out.empty() && out.back().uid == uid) continue;
        auto pw = lookup_uid(uid);
        std::string shown = pw ? pw->name : "uid " + std::to_string(uid);
        if (uid != 0) shown += pw ? " (uid " + std::to_string(uid) + ", memdomaind's user)" : " (memdomaind's user)";
        out.push_back({uid, std::move(shown)});
    }
    return out;
}

std::vector<PrivilegedUser> privileged_members(gid_t gid) {
    std::vector<PrivilegedUser> out;
    for (auto& u : privileged_users()) {
        auto pw = lookup_uid(u.uid);
        if (!pw) {
            if (u.uid == 0 && gid == 0) out.push_back(u);
            continue;
        }
        int n = 64;
        std::vector<gid_t> groups(static_cast<std::size_t>(n));
        if (::getgrouplist(pw->name.c_str(), pw->gid, groups.data(), &n) < 0) {
            groups.resize(static_cast<std::size_t>(n));
            if (::getgrouplist(pw->name.c_str(), pw->gid, groups.data(), &n) < 0) n = 0;
        }
        groups.resize(static_cast<std::size_t>(std::max(n, 0)));
        if (pw->gid == gid || std::find(groups.begin(), groups.end(), gid) != groups.end()) out.push_back(u);
    }
    return out;
}

Result<uid_t> resolve_user(const std::string& name, const config::SourceLocation& where) {
    if (auto id = parse_id(name)) return static_cast<uid_t>(*id);
    std::vector<char> buf(16384);
    passwd pw{}, *res = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) == 0 && res) return res->pw_uid;
    return make_error(config::to_string(where) + ": unknown user '" + name + "'", ENOENT);
}

Result<gid_t> resolve_group(const std::string& name, const config::SourceLocation& where) {
    if (auto id = parse_id(name)) return static_cast<gid_t>(*id);
    std::vector<char> buf(16384);
    group gr{}, *res = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) == 0 && res) return res->gr_gid;
    return make_error(config::to_string(where) + ": unknown group '" + name + "'", ENOENT);
}

}  // namespace memdomain::server
