// The notify messages memdomain-keeper understands: sd_notify(3)'s newline-
// separated "KEY=VALUE" assignments. Unknown assignments are ignored (systemd
// has many: STATUS=, WATCHDOG=1, ...), as are lines without '='.
//
//   READY=1          the child is serving
//   STOPPING=1       the child is shutting down
//   FDSTORE=1        keep the attached fds, under FDNAME= (default "stored")
//   FDSTOREREMOVE=1  close every fd kept under FDNAME=
//   FDNAME=<name>    the name for FDSTORE / FDSTOREREMOVE (first one counts)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memdomain::keeper {

struct Notification {
    bool ready = false;
    bool stopping = false;
    bool fd_store = false;
    bool fd_store_remove = false;
    std::optional<std::string> fd_name;
};

Notification parse_notification(std::string_view text);

}  // namespace memdomain::keeper
