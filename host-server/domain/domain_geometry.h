// What a domain's memory embodies, read from a config: the spec of each
// segment an instance of it has (page sizes, sizes, access, header layout,
// kind, policy, contiguity, map addresses), and how two such descriptions
// differ in config words. Adoption (stored memory against the config),
// reload (the new file against the running domain) and instance creation
// all start from segment_specs(), and every comparison goes through
// memory/segment.h's geometry_differences.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "memory/segment.h"

namespace memdomain::server {

// The map address of each segment of `domain` (all 0 without vaddr).
std::vector<std::uint64_t> segment_map_addresses(const config::DomainConfig& domain);

// The segments an instance of `domain` has, without identity: generation 0
// (drawn at creation), no NUMA node, not bound.
std::vector<SegmentSpec> segment_specs(const config::DomainConfig& domain);

// Every difference between two descriptions of one domain's memory, each
// once: "vectors (1 -> 2)", "segment 0 size (1M -> 2M)", "segments (1 -> 2)".
// Empty: the same geometry.
std::vector<std::string> geometry_changes(const std::vector<SegmentSpec>& before,
                                          const std::vector<SegmentSpec>& after);

}  // namespace memdomain::server
