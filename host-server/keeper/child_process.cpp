#include "keeper/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace memdomain::keeper {
namespace {

bool is_ours(const char* entry) {
    for (const char* name : {"NOTIFY_SOCKET=", "LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES="})
        if (std::strncmp(entry, name, std::strlen(name)) == 0) return true;
    return false;
}

// Only async-signal-safe calls from here on: this runs between fork and exec.
void write_decimal(char* out, long v) {
    char digits[24];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0) *out++ = digits[--n];
    *out = '\0';
}

[[noreturn]] void fail_in_child(const char* what) {
    const int err = errno;
    const char* prefix = "memdomain-keeper: child: ";
    (void)!::write(STDERR_FILENO, prefix, std::strlen(prefix));
    (void)!::write(STDERR_FILENO, what, std::strlen(what));
    (void)!::write(STDERR_FILENO, ": ", 2);
    const char* reason = strerrordesc_np(err);
    if (reason != nullptr) (void)!::write(STDERR_FILENO, reason, std::strlen(reason));
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
}

[[noreturn]] void run_child(const ChildLaunch& launch, char* const* argv, char** envp, char* listen_pid_entry,
                            int* moved) {
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // SIGKILL/SIGSTOP just fail
    const int n = static_cast<int>(launch.fds.size());
    if (n > 0) {
        // Out of the way first, so that placing fd i at 3+i never closes a
        // stored fd still to be placed; the copies are close-on-exec.
        for (int i = 0; i < n; ++i)
            if ((moved[i] = ::fcntl(launch.fds[static_cast<std::size_t>(i)], F_DUPFD_CLOEXEC, 3 + n)) < 0)
                fail_in_child("duplicating a stored fd");
        for (int i = 0; i < n; ++i)
            if (::dup2(moved[i], 3 + i) < 0) fail_in_child("placing a stored fd");  // dup2 clears CLOEXEC
        std::memcpy(listen_pid_entry, "LISTEN_PID=", 11);
        write_decimal(listen_pid_entry + 11, ::getpid());
    }
    ::execvpe(argv[0], argv, envp);
    fail_in_child(argv[0]);
}

}  // namespace

Result<pid_t> spawn_child(const ChildLaunch& launch) {
    // Everything the child needs is built before fork.
    std::vector<char*> argv;
    for (const std::string& a : launch.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> added = {"NOTIFY_SOCKET=" + launch.notify_socket};
    if (!launch.fds.empty()) {
        added.push_back("LISTEN_FDS=" + std::to_string(launch.fds.size()));
        added.push_back("LISTEN_FDNAMES=" + launch.fd_names);
    }
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e)
        if (!is_ours(*e)) envp.push_back(*e);
    for (std::string& a : added) envp.push_back(a.data());
    char listen_pid_entry[40] = {};
    if (!launch.fds.empty()) envp.push_back(listen_pid_entry);  // filled in by the child
    envp.push_back(nullptr);
    std::vector<int> moved(launch.fds.size());

    const pid_t pid = ::fork();
    if (pid < 0) return sys_error("fork");
    if (pid == 0) run_child(launch, argv.data(), envp.data(), listen_pid_entry, moved.data());
    return pid;
}

std::optional<Exit> reap_exited_child() {
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) return Exit{pid, status};
        if (pid < 0 && errno == EINTR) continue;
        return std::nullopt;  // 0: children left, none exited; ECHILD: no children
    }
}

Status send_signal(pid_t pid, int sig) {
    if (::kill(pid, sig) != 0) return sys_error("kill " + std::to_string(pid));
    return {};
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* abbrev = sigabbrev_np(sig);
        return "killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (") + abbrev + ")" : "") +
               (WCOREDUMP(status) ? ", core dumped" : "");
    }
    return "ended with wait status " + std::to_string(status);
}

}  // namespace memdomain::keeper
