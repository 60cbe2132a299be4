// How a segment's memfd is named in the service manager's fd store, so a
// restarted server knows which domain, instance and segment it holds:
// "md.<generation as 16 hex digits>.<segment index>.<domain>". The state
// memfd is "md.state.<sequence as 16 hex digits>": a new state is stored
// under the next sequence before the old one is removed, so a crash between
// the two leaves two states, and the newer one wins. Names come back from outside the process (systemd or
// memdomain-keeper), so parsing checks every part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace memdomain::server {

inline constexpr const char* kLegacyStateName = "md.state";  // before sequence numbers; read as sequence 0

struct StoreName {
    std::uint64_t generation = 0;
    std::uint32_t index = 0;
    std::string domain;
};

std::string format_store_name(std::uint64_t generation, std::uint32_t index, const std::string& domain);
// nullopt unless `name` is exactly a format_store_name() result with a valid
// domain name.
std::optional<StoreName> parse_store_name(const std::string& name);

std::string format_state_name(std::uint64_t sequence);
// The sequence of a state name (0 for kLegacyStateName), nullopt for
// anything else.
std::optional<std::uint64_t> parse_state_name(const std::string& name);

}  // namespace memdomain::server
