// User and group names from the config, resolved to ids through the system
// database (NSS). A decimal string is taken as the id itself. Errors carry
// the config location, so a typo is reported as FILE:LINE:COL at start-up.
#pragma once

#include <sys/types.h>

#include <string>

#include "config/config.h"
#include "memdomain/common/result.h"

namespace memdomain::server {

Result<uid_t> resolve_user(const std::string& name, const config::SourceLocation& where);
Result<gid_t> resolve_group(const std::string& name, const config::SourceLocation& where);

}  // namespace memdomain::server
