#include "keeper/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "keeper/child_process.h"
#include "keeper/keeper_log.h"
#include "persist/fd_store.h"
#include "persist/notify.h"

namespace memdomain::keeper {
namespace {

Result<sys::UniqueFd> open_signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&set, sig);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return sys_error("sigprocmask");
    // A reader of --ready-fd that went away must be an EPIPE, not our death.
    // (The child gets default dispositions back before exec.)
    ::signal(SIGPIPE, SIG_IGN);
    const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) return sys_error("signalfd");
    return sys::UniqueFd(fd);
}

// A name nobody else guesses: our pid and 64 random bits.
Result<std::string> private_socket_name() {
    unsigned long long r = 0;
    if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) return sys_error("getrandom");
    return fmt::format("@memdomain-keeper/{}/{:016x}", ::getpid(), r);
}

Result<sys::UniqueFd> take_ready_fd(int fd) {
    if (fd < 0) return sys::UniqueFd();
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return sys_error("--ready-fd " + std::to_string(fd));
    if (::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return sys_error("--ready-fd " + std::to_string(fd));
    return sys::UniqueFd(fd);
}

}  // namespace

Result<Supervisor> Supervisor::create(const KeeperOptions& options) {
    Supervisor s(options);
    MD_ASSIGN_OR_RETURN(s.ready_fd_, take_ready_fd(options.ready_fd));
    MD_ASSIGN_OR_RETURN(s.signal_fd_, open_signal_fd());
    MD_ASSIGN_OR_RETURN(s.notify_path_, private_socket_name());
    MD_ASSIGN_OR_RETURN(s.notify_socket_, sys::bind_datagram(s.notify_path_, /*pass_credentials=*/true));
    return s;
}

int Supervisor::run() {
    spdlog::info("started, notify socket {}, command {}", notify_path_, options_.command[0]);
    restart_at_ = Clock::now();  // the first start is immediate
    for (;;) {
        const auto now = Clock::now();
        if (child_ == 0 && stopping_) break;
        if (child_ == 0 && restart_at_ && now >= *restart_at_) start_child();
        if (child_ != 0 && kill_at_ && now >= *kill_at_) {
            spdlog::info("child {} still running {} ms after SIGTERM: sending SIGKILL", child_,
                                 options_.stop_timeout.count());
            (void)send_signal(child_, SIGKILL);
            kill_at_.reset();
        }
        pollfd p[2] = {{notify_socket_.get(), POLLIN, 0}, {signal_fd_.get(), POLLIN, 0}};
        const int r = ::poll(p, 2, poll_timeout_ms());
        if (r < 0 && errno != EINTR) {
            spdlog::info("poll: {}", std::strerror(errno));  // cannot happen with valid fds
            ::usleep(100 * 1000);
            continue;
        }
        if (r <= 0) continue;
        if (p[0].revents != 0) drain_notifications();
        if (p[1].revents != 0) handle_signals();
    }
    const std::size_t held = stored_.size();
    stored_.clear();
    spdlog::info("stopped; closed {} stored fd(s)", held);
    return 0;
}

int Supervisor::poll_timeout_ms() const {
    std::optional<Clock::time_point> next;
    if (child_ == 0 && restart_at_) next = restart_at_;
    if (child_ != 0 && kill_at_) next = kill_at_;
    if (!next) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60 * 1000));
}

void Supervisor::start_child() {
    restart_at_.reset();
    ChildLaunch launch{options_.command, notify_path_, stored_.fds(), stored_.joined_names()};
    auto pid = spawn_child(launch);
    if (!pid) {
        const auto delay = backoff_.after_exit(std::chrono::milliseconds(0));
        spdlog::info("cannot start {}: {}; trying again in {} ms", options_.command[0], pid.error().message,
                             delay.count());
        restart_at_ = Clock::now() + delay;
        return;
    }
    child_ = *pid;
    child_started_ = Clock::now();
    spdlog::info("started child {} with {} stored fd(s){}", child_, launch.fds.size(),
                         launch.fds.empty() ? "" : " (" + launch.fd_names + ")");
}

void Supervisor::drain_notifications() {
    for (;;) {
        auto d = sys::receive_datagram_with_fds(notify_socket_.get());
        if (!d) {
            spdlog::warn("notify socket: {}", d.error().message);
            if (d.error().sys == EMSGSIZE || d.error().sys == EPROTO) continue;  // that one is dropped
            return;
        }
        if (!*d) return;
        handle(std::move(**d));
    }
}

void Supervisor::handle(sys::Datagram d) {
    const pid_t sender = d.sender ? d.sender->pid : 0;
    if (child_ == 0 || sender != child_) {
        spdlog::info("ignoring a notification from pid {} (not the child{}){}", sender,
                             child_ ? " " + std::to_string(child_) : std::string(),
                             d.fds.empty() ? "" : fmt::format("; closed its {} fd(s)", d.fds.size()));
        return;  // its fds close with d
    }
    const persist::Notification n = persist::parse_notification(d.text);
    if (n.fd_store_remove) {
        if (!n.fd_name)
            spdlog::warn("FDSTOREREMOVE=1 without FDNAME= ignored");
        else
            spdlog::info("removed '{}': closed {} fd(s), {} held", *n.fd_name, stored_.remove(*n.fd_name),
                                 stored_.size());
    }
    if (n.fd_store)
        handle_fd_store(n.fd_name.value_or("stored"), d.fds);
    else if (!d.fds.empty())
        spdlog::info("closed {} fd(s) sent without FDSTORE=1", d.fds.size());
    if (n.stopping) spdlog::info("child {} is stopping", child_);
    if (n.ready) announce_ready();
}

void Supervisor::handle_fd_store(const std::string& name, std::vector<sys::UniqueFd>& fds) {
    if (auto ok = persist::validate_fd_name(name); !ok) {
        spdlog::warn("FDSTORE=1 refused, its fds closed: {}", ok.error().message);
        return;
    }
    if (fds.empty()) {
        spdlog::info("FDSTORE=1 for '{}' carried no fd: ignored", name);
        return;
    }
    const std::size_t count = fds.size();
    auto replaced = stored_.store(name, fds);
    if (!replaced) {
        spdlog::info("FDSTORE=1 for '{}' refused, its fds closed: {}", name, replaced.error().message);
        return;
    }
    spdlog::info("stored '{}' ({} fd(s){}), {} held", name, count,
                         *replaced ? fmt::format(", replacing {}", *replaced) : "", stored_.size());
}

void Supervisor::announce_ready() {
    spdlog::info("child {} is ready", child_);
    if (ready_fd_) {
        const std::string line = fmt::format("READY {}\n", child_);
        // Never block on a reader that does not read: drop the line instead.
        pollfd p{ready_fd_.get(), POLLOUT, 0};
        ssize_t n = -1;
        if (::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) {
            do n = ::write(ready_fd_.get(), line.data(), line.size());
            while (n < 0 && errno == EINTR);
        }
        if (n != static_cast<ssize_t>(line.size())) {
            spdlog::warn("--ready-fd is not writable; closing it");
            ready_fd_.reset();
        }
    }
    // The keeper's own manager (when it is a Type=notify unit itself): its
    // $NOTIFY_SOCKET, which the child never sees.
    if (!forwarded_ready_) {
        forwarded_ready_ = true;
        if (auto st = persist::notify(persist::kReady); !st)
            spdlog::warn("telling our own service manager READY=1: {}", st.error().message);
    }
}

void Supervisor::handle_signals() {
    for (;;) {
        signalfd_siginfo si{};
        const ssize_t n = ::read(signal_fd_.get(), &si, sizeof si);
        if (n != static_cast<ssize_t>(sizeof si)) return;  // EAGAIN: all taken
        switch (si.ssi_signo) {
            case SIGCHLD:
                // Read what the child sent before it died, while its pid is
                // still reserved by the zombie, then reap it.
                drain_notifications();
                while (auto e = reap_exited_child())
                    if (e->pid == child_) child_exited(e->status);
                break;
            case SIGTERM:
            case SIGINT:
                begin_shutdown(static_cast<int>(si.ssi_signo));
                break;
            case SIGHUP:
                if (child_ != 0) {
                    spdlog::info("SIGHUP: forwarded to child {}", child_);
                    (void)send_signal(child_, SIGHUP);
                } else {
                    spdlog::info("SIGHUP: no child running to forward it to");
                }
                break;
        }
    }
}

void Supervisor::child_exited(int status) {
    const auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - child_started_);
    const pid_t pid = child_;
    child_ = 0;
    kill_at_.reset();
    if (stopping_) {
        spdlog::info("child {} {}", pid, describe_exit(status));
        return;
    }
    const auto delay = backoff_.after_exit(uptime);
    spdlog::info("child {} {} after {} ms; restarting in {} ms with {} stored fd(s)", pid,
                         describe_exit(status), uptime.count(), delay.count(), stored_.size());
    restart_at_ = Clock::now() + delay;
}

void Supervisor::begin_shutdown(int sig) {
    if (stopping_) {
        spdlog::info("SIG{}: already stopping", sigabbrev_np(sig));
        return;
    }
    stopping_ = true;
    restart_at_.reset();
    (void)persist::notify(persist::kStopping);
    if (child_ == 0) {
        spdlog::info("SIG{}: stopping (no child running)", sigabbrev_np(sig));
        return;
    }
    spdlog::info("SIG{}: stopping; SIGTERM to child {}", sigabbrev_np(sig), child_);
    (void)send_signal(child_, SIGTERM);
    kill_at_ = Clock::now() + options_.stop_timeout;
}

}  // namespace memdomain::keeper
