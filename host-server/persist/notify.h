// The service manager's notification protocol (sd_notify(3)), both ends in
// one place, so memdomaind, memdomain-keeper and the tests speak it the
// same way:
//
//   - what memdomain sends (READY=1, STOPPING=1, FDSTORE=1 with fds,
//     FDSTOREREMOVE=1) goes through libsystemd (sd_pid_notify_with_fds) to
//     the socket $NOTIFY_SOCKET names — systemd's, or memdomain-keeper's;
//   - what a manager receives is parsed here, by the one parser
//     memdomain-keeper uses (libsystemd has no receiving side for clients).
//
// Messages are newline-separated "KEY=VALUE" assignments. The parser knows
//   READY=1          the service is serving
//   STOPPING=1       the service is shutting down
//   FDSTORE=1        keep the attached fds, under FDNAME= (default "stored")
//   FDSTOREREMOVE=1  close every fd kept under FDNAME=
//   FDNAME=<name>    the name for FDSTORE / FDSTOREREMOVE (the first counts)
// and ignores every other assignment (STATUS=, WATCHDOG=1, ...) and lines
// without '='. Only exact values count ("READY=0" is not readiness).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::persist {

inline constexpr std::string_view kReady = "READY=1";
inline constexpr std::string_view kStopping = "STOPPING=1";
// "FDSTORE=1\nFDNAME=<name>" and "FDSTOREREMOVE=1\nFDNAME=<name>".
std::string fd_store_message(std::string_view name);
std::string fd_store_remove_message(std::string_view name);

// Whether $NOTIFY_SOCKET names a manager to notify.
bool notify_socket_set();

// Sends `state`, with `fds` attached, to $NOTIFY_SOCKET
// (sd_pid_notify_with_fds). False when no manager listens ($NOTIFY_SOCKET
// unset: nothing is sent); errors as libsystemd gives them (ECONNREFUSED:
// nobody listens there; EAFNOSUPPORT: not an address it knows), named after
// `state`'s first line.
Result<bool> notify(std::string_view state, const std::vector<int>& fds = {});

// A received notification, as a manager reads it.
struct Notification {
    bool ready = false;
    bool stopping = false;
    bool fd_store = false;
    bool fd_store_remove = false;
    std::optional<std::string> fd_name;
};
Notification parse_notification(std::string_view text);

}  // namespace memdomain::persist
