// memdomain-keeper's child: started with fork and exec, given the stored fds
// the way systemd gives them (sd_listen_fds(3)), reaped and signalled by pid.
//
// The child gets the keeper's environment without any LISTEN_* or
// NOTIFY_SOCKET of the keeper's own, plus
//     NOTIFY_SOCKET=<the keeper's socket>
//     LISTEN_FDS=<n>  LISTEN_FDNAMES=<a:b:...>  LISTEN_PID=<its own pid>
// (the LISTEN_* only when n > 0), fds 3 .. 3+n-1 open on the stored fds,
// nothing else beyond 0-2 (every other keeper fd is close-on-exec), an empty
// signal mask and default signal dispositions.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::keeper {

struct ChildLaunch {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
    std::string notify_socket;
    std::vector<int> fds;           // become 3, 4, ...
    std::string fd_names;           // ':'-joined, one per fd
};

// Forks and execs. Errors: fork's (EAGAIN, ENOMEM). A failed exec shows up
// as the child exiting with status 127 after a log line.
Result<pid_t> spawn_child(const ChildLaunch& launch);

// One exited child, without waiting (waitpid(-1, WNOHANG)); nullopt when
// none is left to reap.
struct Exit {
    pid_t pid = 0;
    int status = 0;
};
std::optional<Exit> reap_exited_child();

// kill(pid, sig); ESRCH when it is already gone.
Status send_signal(pid_t pid, int sig);

// "exited with status 3", "killed by signal 9 (KILL)".
std::string describe_exit(int status);

}  // namespace memdomain::keeper
