// md_exec_with_pdeathsig PROGRAM ARGS...: asks the kernel to SIGKILL this
// process when its parent dies, then execs PROGRAM in place (same pid, same
// fds, same environment).
//
// The restart tests run memdomaind under memdomain-keeper as
//     memdomain-keeper ... -- md_exec_with_pdeathsig memdomaind ARGS...
// The keeper does not tie its child's life to its own (systemd does not
// need it to), so a test process killed by a ctest timeout would take the
// keeper down (tests/support/process.h sets PR_SET_PDEATHSIG on it) but leave
// memdomaind running, holding hugepages. Exec keeps the pid, so the keeper's
// LISTEN_PID and its "READY <pid>" lines still name memdomaind itself.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: md_exec_with_pdeathsig PROGRAM ARGS...\n");
        return 2;
    }
    const pid_t parent = ::getppid();
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        std::perror("md_exec_with_pdeathsig: prctl");
        return 127;
    }
    if (::getppid() != parent) return 127;  // the parent died before the prctl took effect
    ::execv(argv[1], argv + 1);
    std::fprintf(stderr, "md_exec_with_pdeathsig: exec %s: %s\n", argv[1], std::strerror(errno));
    return 127;
}
