// The daemon's conversation with whatever started it: signals in (through a
// signalfd, so the event loop sees them), readiness and shutdown out (the
// --ready-fd pipe, and sd_notify to $NOTIFY_SOCKET through persist/notify.h
// for Type=notify units and memdomain-keeper).
#pragma once

#include <optional>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::server {

// Blocks SIGTERM, SIGINT and SIGHUP and returns a non-blocking signalfd for
// them; ignores SIGPIPE.
Result<sys::UniqueFd> block_signals();
// The next pending signal number from that fd, or nullopt when none is.
std::optional<int> next_signal(int signal_fd);

// Once every socket listens: "READY\n" to ready_fd (then closed) when it is
// >= 0, and "READY=1" to $NOTIFY_SOCKET when set. Failures are returned but
// not fatal to the caller's decision.
Status announce_ready(int ready_fd);
// "STOPPING=1" to $NOTIFY_SOCKET when set.
Status announce_stopping();

}  // namespace memdomain::server
