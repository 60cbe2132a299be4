// Takes back the fds a service manager kept for us (fd_store.h): systemd's
// socket-activation environment, as sd_listen_fds_with_names(3) reads it.
//
//   LISTEN_PID      the pid the fds are meant for; another pid's are not ours
//   LISTEN_FDS      how many: they are fds 3, 4, ... 3+N-1
//   LISTEN_FDNAMES  their names, ':'-separated, one per fd (absent: all
//                   "unknown", as systemd says)
//
// On success every fd gets FD_CLOEXEC (so it does not leak into programs we
// run) and is owned by the result. The three variables are unset in every
// case, so no child of ours mistakes them for its own.
#pragma once

#include <sys/types.h>

#include <optional>
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
// or LISTEN_PID naming another process): an empty vector.
// Errors (EINVAL, EBADF), which leave every fd as it was: LISTEN_PID or
// LISTEN_FDS not a number, more names than fds or fewer, an fd that is not
// open.
Result<std::vector<InheritedFd>> take_inherited_fds();

// The same from explicit values (nullopt: variable unset), for tests: `self`
// stands for getpid() and `first_fd` for 3. Does not touch the environment.
struct ListenEnvironment {
    std::optional<std::string> listen_pid;
    std::optional<std::string> listen_fds;
    std::optional<std::string> listen_fdnames;
};
Result<std::vector<InheritedFd>> take_inherited_fds(const ListenEnvironment& env, pid_t self, int first_fd = 3);

}  // namespace memdomain::persist
