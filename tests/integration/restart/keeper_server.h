// memdomaind under memdomain-keeper for the restart tests: the keeper plays
// systemd's part (it keeps the fds memdomaind stores and restarts it when it
// exits), and writes "READY <pid>\n" to --ready-fd each time a memdomaind is
// ready. This fixture reads those lines to learn the current memdomaind's
// pid, so a test can kill -9 or SIGTERM memdomaind itself and wait for the
// next one.
//
// Processes: the keeper is our child (tests/support/process.h, killed by PID
// and with the test process); memdomaind is the keeper's child, started
// through md_exec_with_pdeathsig so it dies with the keeper. A signal to
// memdomaind goes to the pid of the last READY line, and only after
// /proc/<pid>/stat shows the keeper as its parent: never to anything else.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "memdomain/sys/fd.h"
#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {

std::string keeper_path();  // the memdomain-keeper built with the tests

class KeeperServer {
public:
    // Writes `config_text` to DIR/memdomain.conf, starts
    //   memdomain-keeper --ready-fd N --restart-delay-ms 20 --
    //       md_exec_with_pdeathsig memdomaind --config ... --socket-dir DIR
    //       --log-level debug EXTRA...
    // and waits for the first READY line.
    explicit KeeperServer(const std::string& config_text, std::vector<std::string> extra_args = {});
    // SIGTERM to the keeper and a wait; if that fails, SIGKILL to memdomaind
    // and the keeper, by PID.
    ~KeeperServer();
    KeeperServer(const KeeperServer&) = delete;
    KeeperServer& operator=(const KeeperServer&) = delete;

    // Empty when the first memdomaind reported READY; else what went wrong.
    const std::string& start_error() const { return start_error_; }
    bool ok() const { return start_error_.empty(); }

    const std::string& socket_dir() const { return dir_.path(); }
    const std::string& config_path() const { return config_; }
    std::string socket(const std::string& domain) const { return dir_.file(domain + ".sock"); }
    // Keeper and memdomaind share one log (both write to stderr).
    std::string log() const { return keeper_.log(); }
    // Replaces the config file (read by the next memdomaind, or on SIGHUP).
    void write_config(const std::string& text) const;

    pid_t keeper_pid() const { return keeper_.pid(); }
    // The memdomaind of the last READY line (0 before the first).
    pid_t daemon_pid() const { return daemon_; }
    // Waits for a READY line naming another pid than `previous`; that pid,
    // or 0 when none came within `timeout` (or the keeper is gone).
    pid_t wait_ready(pid_t previous, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Sends `sig` to the current memdomaind (only while the keeper is its
    // parent). False when there is none.
    bool signal_daemon(int sig);
    // Sends `sig` to the current memdomaind and waits for the keeper's next
    // one: its pid, or 0 when there was none to signal or none came.
    pid_t restart_daemon(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Whether `pid` is a live (not zombie) child of the keeper.
    bool is_keeper_child(pid_t pid) const;
    // SIGTERM to the keeper; its waitpid status, or nullopt on timeout.
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));

private:
    // Parses whole "READY <pid>" lines out of the pipe; false on EOF.
    bool read_ready_lines(std::chrono::milliseconds poll_timeout, std::vector<pid_t>& pids);

    TempDir dir_;
    std::string config_;
    Process keeper_;
    sys::UniqueFd ready_;
    std::string pending_;
    pid_t daemon_ = 0;
    std::string start_error_;
};

// kill -9 of the current memdomaind, then the keeper's next READY: success
// when a new memdomaind is ready and the keeper logged the kill; the failure
// carries the log.
::testing::AssertionResult kill9_and_wait(KeeperServer& server);

}  // namespace memdomain::test
