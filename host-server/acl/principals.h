// User and group names from the config, resolved to ids through the system
// database (NSS). A decimal string is taken as the id itself. Errors carry
// the config location, so a typo is reported as FILE:LINE:COL at start-up.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "memdomain/common/result.h"

namespace memdomain::server {

Result<uid_t> resolve_user(const std::string& name, const config::SourceLocation& where);
Result<gid_t> resolve_group(const std::string& name, const config::SourceLocation& where);

// The users for whom the kernel cannot enforce a read-only grant: root (any
// file, by capability) and the server's own user (it owns the memfds), by
// uid, with their names ("root", "memdomain (uid 998)") for messages.
struct PrivilegedUser {
    uid_t uid;
    std::string shown;
};
std::vector<PrivilegedUser> privileged_users();
// Those of them that are members of group `gid` (primary group, or listed
// in the group database).
std::vector<PrivilegedUser> privileged_members(gid_t gid);

}  // namespace memdomain::server
