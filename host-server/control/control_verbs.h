// The control protocol's requests, answered (control_protocol.h has the
// prose): one request line in, one reply object out. Parses and checks the
// request (version, verb, arguments, and for the changing verbs whether the
// caller may administer the server), then runs the verb against the
// registry. Never throws.
//
// Every verb replies before handle_request_line returns, except a create
// that started: its reply (and its progress lines, when asked for) come
// later, on the event loop's thread, through AsyncReply.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/domain_registry.h"
#include "memdomain/sys/socket.h"

namespace memdomain::control {

// What the verbs may look at and change, and who is asking.
struct ControlContext {
    server::DomainRegistry* registry = nullptr;
    std::string socket_dir;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::size_t control_clients = 0;  // connected now, this one included
    sys::PeerCredentials caller;      // SO_PEERCRED of the control client
    std::vector<gid_t> caller_groups;  // SO_PEERGROUPS, taken at accept
};

// Where a late reply goes. Both are called on the loop thread, after
// handle_request_line returned nullopt: `progress` zero or more times (only
// when the request asked for progress) with a progress line, then `reply`
// exactly once — unless the registry is destroyed first (server shutdown).
struct AsyncReply {
    std::function<void(nlohmann::json progress_line)> progress;
    std::function<void(nlohmann::json reply)> reply;
};

// The reply to one request line (without its '\n'), or nullopt when it
// comes later through `async` (a create under way).
std::optional<nlohmann::json> handle_request_line(std::string_view line, const ControlContext& ctx,
                                                  const AsyncReply& async);

// The verbs, in the order the EINVAL message lists them.
std::string verb_list();
// Verbs that change the server (create, destroy, grant, revoke).
bool is_changing_verb(std::string_view verb);

}  // namespace memdomain::control
