#include "process.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace memdomain::test {

Process::Process(const std::vector<std::string>& argv, const Options& options) : log_(options.log_path) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
        int out = ::open(log_.empty() ? "/dev/null" : log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        // Nothing of the test process leaks into the child but what it asks for.
        ::close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
        if (options.pass_fd >= 0) ::fcntl(options.pass_fd, F_SETFD, 0);
        for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
        ::setpgid(0, 0);
        // If the test process dies (a ctest timeout), its children die too.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!options.user.empty()) {
            passwd* pw = ::getpwnam(options.user.c_str());
            if (!pw || ::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
                ::setuid(pw->pw_uid) != 0)
                _exit(126);
        }
        if (options.gid && ::setgid(*options.gid) != 0) _exit(126);
        if (options.uid && ::setuid(*options.uid) != 0) _exit(126);
        ::execv(args[0], args.data());
        _exit(127);
    }
}

Process::Process(Process&& o) noexcept : pid_(std::exchange(o.pid_, -1)), log_(std::move(o.log_)) {}
Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        kill();
        pid_ = std::exchange(o.pid_, -1);
        log_ = std::move(o.log_);
    }
    return *this;
}
Process::~Process() { kill(); }

bool Process::running() {
    if (pid_ <= 0) return false;
    int st;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

void Process::signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return st;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void Process::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
}

std::string Process::log() const { return read_file(log_); }

int count_fds(pid_t pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return -1;
    int n = 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return pid == ::getpid() ? n - 1 : n;  // opendir's own fd counts when listing ourselves
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace memdomain::test
