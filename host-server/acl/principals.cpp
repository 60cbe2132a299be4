#include "acl/principals.h"

#include <grp.h>
#include <pwd.h>

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

}  // namespace

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
