#include "server_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace memdomain::test {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/memdomain-test-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    path_ = p ? p : "";
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string memdomaind_path() { return MEMDOMAIND_PATH; }

std::string domain_config(const std::string& name, const std::string& size, unsigned vectors,
                          const std::string& page, const std::string& access) {
    return "memdomain " + name +
           " {\n"
           "    type = shared\n"
           "    policy = static\n"
           "    vectors = " +
           std::to_string(vectors) +
           "\n"
           "    size {\n"
           "        huge " +
           page + " = " + size + " " + access +
           "\n"
           "    }\n"
           "}\n";
}


Server::Server(const std::string& config_text, std::vector<std::string> extra_args,
               std::vector<std::string> command_prefix, std::string socket_dir)
    : config_(dir_.file("memdomain.conf")),
      extra_(std::move(extra_args)),
      prefix_(std::move(command_prefix)),
      socket_dir_(std::move(socket_dir)) {
    std::ofstream(config_) << config_text;
    start(std::chrono::seconds(20));
}

Server::~Server() { proc_.kill(); }

std::string Server::socket(const std::string& domain) const { return socket_dir() + "/" + domain + ".sock"; }

bool Server::start(std::chrono::milliseconds timeout) {
    if (!prefix_.empty() && ::access(prefix_[0].c_str(), X_OK) != 0) {
        start_error_ = prefix_[0] + " is missing";
        return false;
    }
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        start_error_ = "pipe failed";
        return false;
    }
    std::vector<std::string> argv = prefix_;
    argv.insert(argv.end(), {memdomaind_path(), "--config", config_, "--socket-dir", socket_dir(), "--ready-fd",
                             std::to_string(pipefd[1]), "--log-level", "debug"});
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    Process::Options o;
    o.log_path = dir_.file("memdomaind.log");
    o.pass_fd = pipefd[1];
    proc_ = Process(argv, o);
    ::close(pipefd[1]);
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Read until EOF: the daemon closes the fd right after READY, so once we
    // see EOF its fd table is settled (tests count its fds).
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{pipefd[0], POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[64];
            ssize_t n = ::read(pipefd[0], buf, sizeof buf);
            if (n <= 0) break;  // closed: after READY, or because the daemon died
            got.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(pipefd[0]);
    if (got.rfind("READY", 0) == 0) {
        start_error_.clear();
        return true;
    }
    start_error_ = "memdomaind did not report READY; log:\n" + proc_.log();
    proc_.kill();
    return false;
}

std::optional<int> Server::stop(std::chrono::milliseconds timeout) {
    proc_.signal(SIGTERM);
    auto st = proc_.wait(timeout);
    if (!st) proc_.kill();
    return st;
}

bool Server::restart(std::chrono::milliseconds timeout) {
    proc_.kill();
    return start(timeout);
}

RunResult run_memdomaind(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    TempDir d;
    std::vector<std::string> argv = {memdomaind_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    Process::Options o;
    o.log_path = d.file("out.log");
    Process p(argv, o);
    RunResult r;
    auto st = p.wait(timeout);
    r.status = st ? *st : -1;
    r.output = read_file(o.log_path);
    return r;
}

}  // namespace memdomain::test
