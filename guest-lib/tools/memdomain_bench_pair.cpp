// memdomain-bench pair: both ends in two child processes pinned to two
// CPUs; each child sends its result to the parent as one JSON line over a
// pipe. Also the single-end verbs' driver and CPU pinning.
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "memdomain/sys/fd.h"
#include "memdomain_bench.h"
#include "memdomain_bench_report.h"

namespace memdomain::bench {

Status pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) return sys_error("pin to CPU " + std::to_string(cpu));
    return {};
}

namespace {

struct Child {
    pid_t pid = -1;
    int out = -1;  // read end of its result pipe
};

Child spawn(const BenchOptions& o, Role role, int cpu) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        EndResult r;
        if (auto st = pin_to_cpu(cpu); !st)
            r.error = st.error().message;
        else
            r = run_end(o, role);
        const std::string line = end_to_json(r).dump() + "\n";
        std::size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::write(p[1], line.data() + done, line.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(p[1]);
    if (pid < 0) {
        ::close(p[0]);
        return {};
    }
    return Child{pid, p[0]};
}

// Reads the child's JSON line and reaps it; a child that dies or hangs past
// `deadline` is killed and reported as an error.
EndResult collect(Child c, const char* role, std::chrono::steady_clock::time_point deadline) {
    EndResult r;
    r.role = role;
    if (c.pid < 0) return r.error = "could not start the child", r;
    std::string text;
    char buf[65536];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{c.out, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            ::kill(c.pid, SIGKILL);
            r.error = "timed out";
            break;
        }
        const ssize_t n = ::read(c.out, buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(c.out);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    if (!r.error.empty()) return r;
    if (WIFSIGNALED(status)) return r.error = "killed by signal " + std::to_string(WTERMSIG(status)), r;
    try {
        return end_from_json(nlohmann::json::parse(text));
    } catch (const nlohmann::json::exception&) {
        return r.error = "no result", r;
    }
}

}  // namespace

int run_pair(const BenchOptions& o) {
    const bool pingpong = o.test == Test::PingPong;
    const Role send_role = pingpong ? Role::Ping : Role::Tx;
    const Role recv_role = pingpong ? Role::Pong : Role::Rx;
    std::fflush(nullptr);
    // The receiver first, so it is waiting when the sender publishes.
    Child recv = spawn(o, recv_role, o.cpus[1]);
    Child send = spawn(o, send_role, o.cpus[0]);
    const double run = o.count > 0 ? 600.0 : o.seconds;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<long long>(run * 1000) + 4 * o.timeout_ms);
    EndResult s = collect(send, pingpong ? "ping" : "tx", deadline);
    EndResult r = collect(recv, pingpong ? "pong" : "rx", deadline);
    Report rep = combine(o, &s, &r);
    print(rep, o.json);
    return rep.ok ? tools::kExitOk : tools::kExitError;
}

int run_single(const BenchOptions& o, Role role) {
    EndResult r = run_end(o, role);
    const bool sends = role == Role::Tx || role == Role::Ping;
    Report rep = combine(o, sends ? &r : nullptr, sends ? nullptr : &r);
    print(rep, o.json);
    if (r.error_errno == ENOENT) return tools::kExitNotFound;
    return rep.ok ? tools::kExitOk : tools::kExitError;
}

}  // namespace memdomain::bench
