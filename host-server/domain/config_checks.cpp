#include "domain/config_checks.h"

#include <unistd.h>

#include <map>

#include <spdlog/spdlog.h>

#include "acl/acl.h"
#include "acl/principals.h"
#include "domain/instance.h"
#include "domain/served_domain.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "placement/hugepage_pools.h"

namespace memdomain::server {
namespace {

// How many instances policy = static creates at start-up (a numa domain
// whose nodes cannot be known yet counts as one: check_domain reports it).
std::size_t static_instances(const config::DomainConfig& d, const placement::NumaTopology* topology) {
    auto nodes = domain_numa_nodes(d, topology);
    return static_instance_keys(d, nodes ? *nodes : std::vector<int>{0}).size();
}

}  // namespace

Status check_hugepage_pools(const std::vector<config::DomainConfig>& domains, const placement::NumaTopology* topology) {
    std::map<std::uint64_t, std::uint64_t> needed;  // page size -> pages, cumulative
    for (const auto& d : domains) {
        const std::size_t copies = static_instances(d, topology);
        if (copies == 0) continue;
        for (const auto& s : d.segments) {
            const std::uint64_t ps = page_size_of(s.page_class);
            if (ps == 4 * KiB) continue;
            const std::uint64_t pages = s.size / ps * copies;
            needed[ps] += pages;
            if (auto why = placement::hugepage_shortage(ps, needed[ps]); !why.empty())
                return make_error(config::to_string(s.where) + ": domain " + d.name + " needs " +
                                      std::to_string(pages) + " pages of " + format_size(ps) +
                                      (copies > 1 ? " (" + std::to_string(copies) + " NUMA instances)" : std::string()) +
                                      (needed[ps] > pages ? " (" + std::to_string(needed[ps]) +
                                                                " with the domains before it)"
                                                          : std::string()) +
                                      ", but " + why,
                                  ENOMEM);
        }
    }
    return {};
}

Status check_domain(const config::DomainConfig& d, const placement::NumaTopology* topology) {
    MD_TRY(AccessList::from_config(d.access));
    MD_TRY(socket_ownership(d, 0));
    MD_TRY(domain_numa_nodes(d, topology));
    if (d.contiguous && ::geteuid() != 0)
        return make_error(config::to_string(d.where) + ": domain " + d.name +
                              ": contiguous = yes is checked through /proc/self/pagemap, which shows physical "
                              "addresses only to root (CAP_SYS_ADMIN)",
                          EPERM);
    return {};
}

void warn_unbackable_dynamic(const std::vector<config::DomainConfig>& domains) {
    for (const auto& d : domains) {
        if (d.policy != config::DomainPolicy::Dynamic && d.type != config::DomainType::Local) continue;
        for (const auto& s : d.segments) {
            const std::uint64_t ps = page_size_of(s.page_class);
            if (ps == 4 * KiB) continue;
            if (!placement::hugepage_pool_exists(ps)) {
                spdlog::warn("{}: domain {}: {}: every attach will be refused", config::to_string(s.where), d.name,
                             placement::hugepage_shortage(ps, s.size / ps));
                continue;
            }
            auto pool = sys::hugepage_pool(ps);
            const std::uint64_t total = pool ? pool->total : 0;
            if (total < s.size / ps)
                spdlog::warn("{}: domain {} needs {} pages of {} per instance, but the pool has {} in total: every "
                             "attach will be refused until /sys/kernel/mm/hugepages/hugepages-{}kB/nr_hugepages grows",
                             config::to_string(s.where), d.name, s.size / ps, format_size(ps), total, ps / KiB);
        }
    }
}

Status check_config(const config::Config& cfg, const placement::NumaTopology* topology) {
    for (const auto& d : cfg.domains) MD_TRY(check_domain(d, topology));
    if (cfg.server.admin_group) MD_TRY(resolve_group(*cfg.server.admin_group, cfg.server.admin_group_where));
    return check_hugepage_pools(cfg.domains, topology);
}

}  // namespace memdomain::server
