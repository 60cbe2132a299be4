#include "keeper_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

namespace memdomain::test {
namespace {

// State and parent pid from /proc/<pid>/stat ("pid (comm) S ppid ..."; comm
// may hold spaces and parentheses, so parse after the last ')').
bool read_stat(pid_t pid, char& state, pid_t& ppid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) return false;
    state = stat[close + 2];
    ppid = static_cast<pid_t>(std::stol(stat.substr(close + 4)));
    return true;
}

}  // namespace

std::string keeper_path() { return MEMDOMAIN_KEEPER_PATH; }

KeeperServer::KeeperServer(const std::string& config_text, std::vector<std::string> extra_args)
    : config_(dir_.file("memdomain.conf")) {
    write_config(config_text);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        start_error_ = "pipe failed";
        return;
    }
    ready_.reset(pipefd[0]);
    std::vector<std::string> argv = {keeper_path(),       "--ready-fd",  std::to_string(pipefd[1]),
                                     "--restart-delay-ms", "20",          "--",
                                     MD_EXEC_PDEATHSIG_PATH, memdomaind_path(), "--config",
                                     config_,             "--socket-dir", dir_.path(),
                                     "--log-level",       "debug"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    Process::Options o;
    o.log_path = dir_.file("keeper.log");
    o.pass_fd = pipefd[1];
    keeper_ = Process(argv, o);
    ::close(pipefd[1]);
    if (wait_ready(0) == 0) start_error_ = "no READY line from memdomain-keeper; log:\n" + log();
}

KeeperServer::~KeeperServer() {
    if (keeper_.pid() <= 0) return;
    if (stop(std::chrono::seconds(15))) return;
    signal_daemon(SIGKILL);
    keeper_.kill();
}

void KeeperServer::write_config(const std::string& text) const {
    // Written aside and renamed, so a memdomaind starting right now reads
    // either the old file or the new one, never half of it.
    const std::string tmp = config_ + ".tmp";
    std::ofstream(tmp) << text;
    ::rename(tmp.c_str(), config_.c_str());
}

bool KeeperServer::read_ready_lines(std::chrono::milliseconds poll_timeout, std::vector<pid_t>& pids) {
    pollfd p{ready_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(poll_timeout.count())) > 0) {
        char buf[256];
        const ssize_t n = ::read(ready_.get(), buf, sizeof buf);
        if (n <= 0) return false;
        pending_.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
        const std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (line.rfind("READY ", 0) == 0) pids.push_back(static_cast<pid_t>(std::stol(line.substr(6))));
    }
    return true;
}

pid_t KeeperServer::wait_ready(pid_t previous, std::chrono::milliseconds timeout) {
    if (!ready_) return 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::vector<pid_t> pids;
        const bool open = read_ready_lines(std::chrono::milliseconds(50), pids);
        for (pid_t pid : pids) {
            daemon_ = pid;
            if (pid != previous) return pid;
        }
        if (!open || !keeper_.running()) return 0;
    }
    return 0;
}

bool KeeperServer::is_keeper_child(pid_t pid) const {
    char state = 0;
    pid_t ppid = 0;
    return pid > 0 && keeper_.pid() > 0 && read_stat(pid, state, ppid) && ppid == keeper_.pid() && state != 'Z';
}

bool KeeperServer::signal_daemon(int sig) {
    if (!is_keeper_child(daemon_)) return false;
    return ::kill(daemon_, sig) == 0;
}

pid_t KeeperServer::restart_daemon(int sig, std::chrono::milliseconds timeout) {
    const pid_t before = daemon_;
    if (!signal_daemon(sig)) return 0;
    return wait_ready(before, timeout);
}

std::optional<int> KeeperServer::stop(std::chrono::milliseconds timeout) {
    if (keeper_.pid() <= 0) return std::nullopt;
    keeper_.signal(SIGTERM);
    return keeper_.wait(timeout);
}

::testing::AssertionResult kill9_and_wait(KeeperServer& server) {
    const pid_t before = server.daemon_pid();
    const pid_t after = server.restart_daemon(SIGKILL);
    if (after == 0)
        return ::testing::AssertionFailure() << "no new READY after kill -9 of memdomaind " << before << "\n"
                                             << server.log();
    const std::string killed = "child " + std::to_string(before) + " killed by signal 9";
    if (server.log().find(killed) == std::string::npos)
        return ::testing::AssertionFailure() << "the keeper did not log '" << killed << "'\n" << server.log();
    return ::testing::AssertionSuccess();
}

}  // namespace memdomain::test
