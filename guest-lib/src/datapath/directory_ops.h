// The directory's operations on an AreaCore, for the Directory class and
// for channels (which publish and withdraw without a DataArea at hand).
// Internal.
#pragma once

#include <string_view>
#include <vector>

#include "area_core.h"
#include "memdomain/directory.h"

namespace memdomain::detail {

Status dir_publish(const AreaCore& c, std::string_view name, std::uint64_t offset, std::uint64_t size,
                   std::uint32_t type);
Result<DirectoryEntry> dir_lookup(const AreaCore& c, std::string_view name);
Status dir_withdraw(const AreaCore& c, std::string_view name);
Result<std::uint32_t> dir_withdraw_stale(const AreaCore& c);
std::vector<DirectoryEntry> dir_list(const AreaCore& c);

}  // namespace memdomain::detail
