// memdomain-keeper's event loop: one child, one notify socket, one signalfd.
//
//   - The notify socket is a private abstract AF_UNIX datagram socket with
//     SO_PASSCRED; only messages whose kernel-given sender pid is the current
//     child's are obeyed (systemd's NotifyAccess=main), others are logged and
//     their fds closed.
//   - Messages are parsed by persist/notify.h, the one parser of the
//     protocol. READY=1: "READY <pid>\n" to --ready-fd (each time), and
//     READY=1 to the keeper's own $NOTIFY_SOCKET the first time (through
//     libsystemd, like memdomaind), so the keeper itself can be a
//     Type=notify unit. FDSTORE=1 / FDSTOREREMOVE=1: see stored_fds.h.
//   - Child exit, for whatever reason: logged, and the child is started again
//     after the RestartBackoff delay with every stored fd. Before a child is
//     reaped every message it sent is read, so an fd stored just before a
//     crash is not lost.
//   - SIGTERM/SIGINT: SIGTERM to the child, SIGKILL after --stop-timeout-ms
//     (10 s), then every
//     stored fd closed and run() returns 0. SIGHUP: forwarded to the child.
// Signals are taken only through the signalfd: no signal handlers run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "keeper/keeper_options.h"
#include "keeper/restart_backoff.h"
#include "keeper/stored_fds.h"
#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::keeper {

class Supervisor {
public:
    // Blocks the signals it handles, binds the notify socket, takes over
    // --ready-fd. Errors: a --ready-fd that is not open, socket or signalfd
    // failures.
    static Result<Supervisor> create(const KeeperOptions& options);

    // Runs until SIGTERM/SIGINT; returns the keeper's exit status.
    int run();

private:
    using Clock = std::chrono::steady_clock;
    explicit Supervisor(const KeeperOptions& options) : options_(options), backoff_(options.restart_delay) {}

    void start_child();
    void drain_notifications();
    void handle(sys::Datagram d);
    void handle_fd_store(const std::string& name, std::vector<sys::UniqueFd>& fds);
    void announce_ready();
    void handle_signals();
    void child_exited(int status);
    void begin_shutdown(int sig);
    int poll_timeout_ms() const;

    KeeperOptions options_;
    RestartBackoff backoff_;
    StoredFds stored_;
    sys::UniqueFd notify_socket_;
    std::string notify_path_;
    sys::UniqueFd signal_fd_;
    sys::UniqueFd ready_fd_;
    bool forwarded_ready_ = false;

    pid_t child_ = 0;  // 0: none running
    Clock::time_point child_started_;
    std::optional<Clock::time_point> restart_at_;  // set while waiting to restart
    bool stopping_ = false;
    std::optional<Clock::time_point> kill_at_;     // SIGKILL the child then, while stopping
};

}  // namespace memdomain::keeper
