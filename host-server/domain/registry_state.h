// The registry's state memfd in the fd store ("md.state.<seq>"): a JSON object
//   {"v":1, "runtime":{name: config text}, "access":{name: [entries]},
//    "leases":{name: {vm: "R/W"|"R/O"}}, "segments":{store name: segment spec}}
// that lets a restarted server bring back runtime domains, runtime access
// changes, the leases of running VMs, and the spec of every stored segment (which it trusts over the
// segment's header, since peers can write headers). These are the codecs;
// the registry decides what goes in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "acl/acl.h"
#include "config/config.h"
#include "memdomain/common/result.h"
#include "memory/segment.h"
#include "persist/inherited_fds.h"

namespace memdomain::server {

nlohmann::json access_to_json(const std::optional<std::vector<config::AclEntry>>& access);
std::optional<std::vector<config::AclEntry>> access_from_json(const nlohmann::json& j);
nlohmann::json leases_to_json(const VmLeases& leases);
VmLeases leases_from_json(const nlohmann::json& j);  // what is well-formed of it

nlohmann::json spec_to_json(const SegmentSpec& s);
// nullopt unless every field is there and the spec makes a valid header.
std::optional<SegmentSpec> spec_from_json(const nlohmann::json& j);

// The newest readable state the fd store gave back among `inherited` (an
// empty object when there is none; a warning for each unreadable one), its
// sequence, and the names of the older ones, which the registry drops from
// the store once its own state is stored.
struct StoredState {
    nlohmann::json state = nlohmann::json::object();
    std::uint64_t sequence = 0;
    std::string name;  // the chosen state's name in the store; empty when none
    std::vector<std::string> stale_names;
};
StoredState read_stored_state(const std::vector<persist::InheritedFd>& inherited);

// A new memfd holding `state`, ready to go into the fd store.
Result<sys::UniqueFd> state_memfd(const nlohmann::json& state);

}  // namespace memdomain::server
