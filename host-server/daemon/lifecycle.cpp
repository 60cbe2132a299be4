#include "daemon/lifecycle.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <string>

#include "persist/notify.h"

namespace memdomain::server {
namespace {

// The manager $NOTIFY_SOCKET names, if any (systemd or memdomain-keeper).
Status notify_manager(std::string_view state) {
    if (auto sent = persist::notify(state); !sent) return std::move(sent).error();
    return {};
}

}  // namespace

Result<sys::UniqueFd> block_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return sys_error("sigprocmask");
    ::signal(SIGPIPE, SIG_IGN);
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) return sys_error("signalfd");
    return sys::UniqueFd(fd);
}

std::optional<int> next_signal(int signal_fd) {
    signalfd_siginfo si{};
    if (::read(signal_fd, &si, sizeof si) != sizeof si) return std::nullopt;
    return static_cast<int>(si.ssi_signo);
}

Status announce_ready(int ready_fd) {
    Status st;
    if (ready_fd >= 0) {
        sys::UniqueFd fd(ready_fd);
        if (::write(fd.get(), "READY\n", 6) != 6) st = sys_error("write to --ready-fd");
    }
    if (auto n = notify_manager(persist::kReady); !n) return n;
    return st;
}

Status announce_stopping() { return notify_manager(persist::kStopping); }

}  // namespace memdomain::server
