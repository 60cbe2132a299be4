#include "control/server_stats.h"

#include <unistd.h>

#include <filesystem>

#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/process.h"

namespace memdomain::control {

long count_own_fds() { return sys::count_open_fds(); }

nlohmann::json stats_view(const ControlContext& ctx) {
    std::size_t peers = 0;
    for (const auto& [name, d] : ctx.registry->domains()) peers += d->peer_count();
    nlohmann::json pools = nlohmann::json::array();
    // The page classes domains can use; a kernel without a pool has no entry.
    for (std::uint64_t ps : {2 * MiB, 1 * GiB}) {
        auto pool = sys::hugepage_pool(ps);
        if (!pool) continue;
        pools.push_back({{"page_size", ps}, {"total", pool->total}, {"free", pool->free}, {"reserved", pool->reserved}});
    }
    const std::chrono::duration<double> up = std::chrono::steady_clock::now() - ctx.started;
    return {{"pid", ::getpid()},
            {"uptime_seconds", up.count()},
            {"domains", ctx.registry->domains().size()},
            {"peers", peers},
            {"fds_open", count_own_fds()},
            {"fd_limit", sys::open_fd_limit()},
            {"control_clients", ctx.control_clients},
            {"hugepages", pools}};
}

}  // namespace memdomain::control
