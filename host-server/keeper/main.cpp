// memdomain-keeper: parses the command line, sets the process up and runs the
// Supervisor. Nothing else lives here.
#include <linux/close_range.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include "keeper/keeper_log.h"
#include "keeper/keeper_options.h"
#include "keeper/supervisor.h"

using namespace memdomain::keeper;

namespace {

// The keeper holds every stored memfd: take the hard fd limit. The child
// inherits it (memdomaind raises its limit the same way anyway).
void raise_fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = parse_keeper_command_line(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "memdomain-keeper: %s\n", parsed.error().message.c_str());
        return 2;
    }
    if (!parsed->run) {
        std::fputs(parsed->print.c_str(), stdout);
        return 0;
    }
    setup_logging();
    // Nothing we were started with leaks into the child but 0-2 and the
    // stored fds (--ready-fd is made close-on-exec by the Supervisor).
    ::close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
    raise_fd_limit();
    auto supervisor = Supervisor::create(*parsed->run);
    if (!supervisor) {
        spdlog::error("{}", supervisor.error().message);
        return 1;
    }
    return supervisor->run();
}
