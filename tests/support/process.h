// Child processes for tests: started with fork/exec, their output captured
// in a file, and always ended by their own PID (SIGKILL + waitpid) when the
// Process object goes away, so a failing test never leaves one behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace memdomain::test {

class Process {
public:
    struct Options {
        std::string log_path;      // stdout+stderr go here; empty: /dev/null
        int pass_fd = -1;          // kept open in the child under the same number
        std::vector<std::string> env;  // extra "K=V" entries
        std::optional<uid_t> uid;  // setuid/setgid after fork (tests running as root)
        std::optional<gid_t> gid;
        std::string user;          // run as this user, with its supplementary groups (initgroups)
    };
    Process() = default;
    // Starts argv[0] (a path) with argv. Aborts the test on fork/exec failure
    // (reported through exit code 127 and the log).
    Process(const std::vector<std::string>& argv, const Options& options);
    Process(Process&& o) noexcept;
    Process& operator=(Process&& o) noexcept;
    ~Process();

    pid_t pid() const { return pid_; }
    bool running();
    // Sends `sig`; only to our own child.
    void signal(int sig);
    // Waits up to `timeout` for exit; the exit status as from waitpid, or
    // nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGKILL then reap. Idempotent.
    void kill();
    const std::string& log_path() const { return log_; }
    std::string log() const;

private:
    pid_t pid_ = -1;
    std::string log_;
};

// Number of open fds of a process, from /proc/PID/fd.
int count_fds(pid_t pid);
// Reads a whole file ("" when missing).
std::string read_file(const std::string& path);

}  // namespace memdomain::test
