// Takes back the fds a service manager kept for us (fd_store.h), through
// libsystemd's sd_listen_fds_with_names(3), which reads systemd's
// socket-activation environment:
//
//   LISTEN_PID      the pid the fds are meant for; another pid's are not ours
//   LISTEN_FDS      how many: they are fds 3, 4, ... 3+N-1
//   LISTEN_FDNAMES  their names, ':'-separated, one per fd (absent: all
//                   "unknown")
//
// Every fd taken gets FD_CLOEXEC (so it does not leak into programs we run)
// and is owned by the result. The three variables are unset in every case,
// so no child of ours mistakes them for its own.
#pragma once

#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::persist {

struct InheritedFd {
    std::string name;
    sys::UniqueFd fd;
};

// From the environment of this process. Nothing inherited (variables unset,
// or LISTEN_PID naming another process): an empty vector. Errors as
// libsystemd gives them (EINVAL: LISTEN_PID or LISTEN_FDS not a number,
// LISTEN_FDNAMES with more or fewer names than fds; ERANGE: a LISTEN_PID
// that is no pid; EBADF: an fd that is not open), with no fd taken.
Result<std::vector<InheritedFd>> take_inherited_fds();

}  // namespace memdomain::persist
