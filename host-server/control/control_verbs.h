// The control protocol's requests, answered (control_protocol.h has the
// prose): one request line in, one reply object out. Parses and checks the
// request (version, verb, arguments), then runs the verb against the
// registry. Never throws and never changes anything: every verb is a read.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/domain_registry.h"

namespace memdomain::control {

// What the verbs may look at.
struct ControlContext {
    const server::DomainRegistry* registry = nullptr;
    std::string socket_dir;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::size_t control_clients = 0;  // connected now, this one included
};

// The reply to one request line (without its '\n').
nlohmann::json handle_request_line(std::string_view line, const ControlContext& ctx);

// The verbs, in the order the EINVAL message lists them.
std::string verb_list();

}  // namespace memdomain::control
