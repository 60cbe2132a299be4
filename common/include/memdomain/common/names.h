// Name rules shared by the server, the client library and the guest library.
// A domain name is [A-Za-z0-9_.-]{1,63}, and is never "." or "..": it is
// checked before it touches any path (socket file, namespace file).
#pragma once

#include <string>
#include <string_view>

#include "memdomain/common/result.h"

namespace memdomain {

inline constexpr std::size_t kMaxDomainNameLength = 63;

// Ok, or an Error that says what is wrong with the name.
Status validate_domain_name(std::string_view name);

// The socket of segment 0 of a domain: "<dir>/<name>.sock"; segment i > 0:
// "<dir>/<name>@<i>.sock" ('@' cannot occur in a name, so no two domains
// collide). The control socket is "<dir>/control.sock"; "control" is
// therefore not a valid domain name.
std::string domain_socket_path(std::string_view dir, std::string_view name, unsigned segment = 0);
inline constexpr std::string_view kControlSocketName = "control.sock";

// The read-only namespace entry of a segment, for VMs that attach through
// ivshmem-plain + memory-backend-file,readonly=on: "<dir>/ns/<name>" for
// segment 0, "<dir>/ns/<name>@<i>" for segment i.
std::string domain_namespace_path(std::string_view dir, std::string_view name, unsigned segment = 0);

// The directory used when neither an argument nor MEMDOMAIN_SOCKET_DIR says.
inline constexpr std::string_view kDefaultSocketDir = "/run/memdomain";
// An explicit directory wins; else $MEMDOMAIN_SOCKET_DIR; else the default.
std::string resolve_socket_dir(std::string_view explicit_dir = {});

}  // namespace memdomain
