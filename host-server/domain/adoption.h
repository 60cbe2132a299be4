// Memory the fd store hands back after a restart, turned into domain
// instances again, and how it is matched with the config.
//
// Every stored segment is checked (seals, size, its record in the state, the
// name it was stored under) and grouped by generation; a group missing a
// segment is not served, and local instances are dropped (their processes
// went with the old server). The stored memory always wins over a config
// that now describes another geometry: nothing stored is lost.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "domain/instance.h"
#include "persist/inherited_fds.h"

namespace memdomain::server {

using AdoptedInstances = std::map<std::string, std::vector<std::unique_ptr<DomainInstance>>>;

// The instances of every domain among `inherited` (the state memfd is
// skipped; `state` is what read_stored_state() made of it). Descriptors are
// moved out of `inherited`; what cannot be used is logged and left alone.
AdoptedInstances adopt_stored_segments(std::vector<persist::InheritedFd>& inherited, const nlohmann::json& state);

// `base` (name, access, socket, ...) with the geometry `inst`'s memory has.
config::DomainConfig with_stored_geometry(config::DomainConfig base, const DomainInstance& inst);

// Does stored memory fit what the config says? (Only what the memory itself
// records.)
bool geometry_matches(const config::DomainConfig& d, const DomainInstance& inst);

}  // namespace memdomain::server
