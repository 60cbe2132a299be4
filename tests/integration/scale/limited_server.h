// A real memdomaind started with a low RLIMIT_NOFILE (soft = hard), set
// before exec by util-linux's prlimit(1) ("prlimit --nofile=N:N -- memdomaind
// ..."), which execs the daemon in place: the PID is the daemon's. The daemon
// raises its soft limit to the hard one at start, so only a hard limit this
// low stays low. Otherwise what test::Server does (tests/support/server_fixture.h):
// a private socket directory, the config written from text, READY waited for
// through --ready-fd, the process killed by PID at the end.
//
// (test::Server cannot do this itself: Process::Options sets no rlimits and
// its extra arguments go after memdomaind's own.)
#pragma once

#include <string>

#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {

inline constexpr const char* kPrlimitPath = "/usr/bin/prlimit";

class LimitedServer {
public:
    LimitedServer(const std::string& config_text, int nofile);
    ~LimitedServer() { proc_.kill(); }

    const std::string& start_error() const { return start_error_; }
    bool ok() const { return start_error_.empty(); }
    const std::string& socket_dir() const { return dir_.path(); }
    std::string socket(const std::string& domain) const { return dir_.file(domain + ".sock"); }
    pid_t pid() const { return proc_.pid(); }
    std::string log() const { return proc_.log(); }

private:
    TempDir dir_;
    Process proc_;
    std::string start_error_;
};

// The soft and hard "Max open files" of a process, from /proc/PID/limits
// ({-1, -1} when unreadable; "unlimited" is -1 too).
struct FdLimits {
    long soft = -1, hard = -1;
};
FdLimits process_fd_limits(pid_t pid);

}  // namespace memdomain::test
