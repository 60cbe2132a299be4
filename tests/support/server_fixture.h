// A real memdomaind for tests: a private socket directory, a config written
// from text, the daemon started by PID and waited for through --ready-fd
// (the server writes "READY\n" once every socket listens), and stopped by
// PID when the fixture dies, pass or fail.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "process.h"

namespace memdomain::test {

// A fresh directory under $TMPDIR (or /tmp), removed recursively at the end.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string memdomaind_path();  // the binary built with the tests

// The config text of a one-segment shared, static domain:
// "huge <page> = <size> <access>" (access "R/W" or "R/O").
std::string domain_config(const std::string& name, const std::string& size = "1MB", unsigned vectors = 2,
                          const std::string& page = "4K", const std::string& access = "R/W");

class Server {
public:
    // Writes `config_text` to DIR/memdomain.conf and starts the daemon with
    // --socket-dir DIR. `extra_args` go after the standard ones.
    // `command_prefix` runs the daemon through another program that execs it
    // in place, so the PID stays the daemon's: e.g. {"/usr/bin/prlimit",
    // "--nofile=128:128", "--"} for a low RLIMIT_NOFILE set before exec.
    // `socket_dir`: serve there instead of in the server's own directory
    // (the libvirt tests serve at /run/memdomain in a private namespace).
    explicit Server(const std::string& config_text, std::vector<std::string> extra_args = {},
                    std::vector<std::string> command_prefix = {}, std::string socket_dir = {});
    ~Server();

    // Empty when the daemon reported READY; else what went wrong, with its log.
    const std::string& start_error() const { return start_error_; }
    bool ok() const { return start_error_.empty(); }
    const std::string& socket_dir() const { return socket_dir_.empty() ? dir_.path() : socket_dir_; }
    const std::string& config_path() const { return config_; }
    std::string socket(const std::string& domain) const;
    Process& process() { return proc_; }
    pid_t pid() const { return proc_.pid(); }
    std::string log() const { return proc_.log(); }
    // SIGTERM, then wait: the exit status as from waitpid (nullopt if it did
    // not exit in time, after which it is killed). Under LeakSanitizer a
    // leak makes this status non-zero.
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // SIGKILL and restart on the same directory and config.
    bool restart(std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    bool start(std::chrono::milliseconds timeout);
    TempDir dir_;
    std::string config_;
    std::vector<std::string> extra_;
    std::vector<std::string> prefix_;
    std::string socket_dir_;
    Process proc_;
    std::string start_error_;
};

// Runs memdomaind to completion (e.g. a config that must be refused) and
// returns {exit status from waitpid, combined output}.
struct RunResult {
    int status = -1;
    std::string output;
};
RunResult run_memdomaind(const std::vector<std::string>& args, std::chrono::milliseconds timeout);

}  // namespace memdomain::test
