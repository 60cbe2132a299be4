#include "limited_server.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace memdomain::test {

LimitedServer::LimitedServer(const std::string& config_text, int nofile) {
    const std::string config = dir_.file("memdomain.conf");
    std::ofstream(config) << config_text;
    if (::access(kPrlimitPath, X_OK) != 0) {
        start_error_ = std::string(kPrlimitPath) + " is missing (util-linux)";
        return;
    }
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        start_error_ = "pipe failed";
        return;
    }
    const std::string n = std::to_string(nofile);
    std::vector<std::string> argv = {kPrlimitPath, "--nofile=" + n + ":" + n, "--", memdomaind_path(),
                                     "--config", config, "--socket-dir", dir_.path(),
                                     "--ready-fd", std::to_string(pipefd[1]), "--log-level", "debug"};
    Process::Options o;
    o.log_path = dir_.file("memdomaind.log");
    o.pass_fd = pipefd[1];
    proc_ = Process(argv, o);
    ::close(pipefd[1]);
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{pipefd[0], POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[64];
            const ssize_t r = ::read(pipefd[0], buf, sizeof buf);
            if (r <= 0) break;  // EOF: after READY, or the daemon died
            got.append(buf, static_cast<std::size_t>(r));
        }
    }
    ::close(pipefd[0]);
    if (got.rfind("READY", 0) == 0) return;
    start_error_ = "memdomaind under prlimit did not report READY; log:\n" + proc_.log();
    proc_.kill();
}

FdLimits process_fd_limits(pid_t pid) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/limits"));
    std::string line;
    FdLimits l;
    while (std::getline(in, line)) {
        if (line.rfind("Max open files", 0) != 0) continue;
        std::istringstream f(line.substr(14));
        std::string soft, hard;
        f >> soft >> hard;
        auto num = [](const std::string& s) { return s == "unlimited" ? -1L : std::stol(s); };
        l.soft = num(soft);
        l.hard = num(hard);
    }
    return l;
}

}  // namespace memdomain::test
