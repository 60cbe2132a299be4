// What the registry checks before it creates anything, shared by start-up,
// --check-config, runtime create and reload: user and group names, numa
// cpualias against the topology, contiguity's need for root, and whether the
// hugepage pools can hold the static instances. Errors name FILE:LINE:COL.
#pragma once

#include <cstddef>
#include <vector>

#include "config/config.h"
#include "memdomain/common/result.h"
#include "placement/numa_topology.h"

namespace memdomain::server {

// Pages each hugepage size needs for the static instances of `domains`,
// checked against the pools. The error names the domain that does not fit,
// the pages it needs and why the pool cannot give them (short, or no such
// page size in this kernel). 4K segments are not checked.
Status check_hugepage_pools(const std::vector<config::DomainConfig>& domains, const placement::NumaTopology* topology);

// One domain's principals, socket owner, numa nodes and contiguity.
Status check_domain(const config::DomainConfig& d, const placement::NumaTopology* topology);

// Dynamic and local instances are made on attach, so they are not held
// against the free pages at start-up; a pool that can never hold one is
// still worth a warning.
void warn_unbackable_dynamic(const std::vector<config::DomainConfig>& domains);

// Everything that can be checked without creating anything: user and group
// names (ACLs, socket owners, admin group), numa cpualias against the
// topology, the hugepage pools. What --check-config runs.
Status check_config(const config::Config& cfg, const placement::NumaTopology* topology);

}  // namespace memdomain::server
