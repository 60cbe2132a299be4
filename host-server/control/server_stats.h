// The stats verb: the server process as a whole (pid, uptime, fds, peers)
// and the host's hugepage pools, which every hugepage domain draws from.
#pragma once

#include <nlohmann/json.hpp>

#include "control/control_verbs.h"

namespace memdomain::control {

nlohmann::json stats_view(const ControlContext& ctx);

// Open descriptors of this process (entries of /proc/self/fd, not counting
// the one used to list them); -1 when /proc cannot be read.
long count_own_fds();

}  // namespace memdomain::control
