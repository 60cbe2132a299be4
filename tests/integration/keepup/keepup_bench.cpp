// What the background reader costs, each with the reader thread (the
// default) against without it (reader_thread = false), in the same run
// (this machine is shared and noisy: only ratios mean something):
//   - doorbell round trip between two processes (tests/bench/doorbell_bench
//     has it against a raw eventfd ping-pong);
//   - Domain::open + close (the thread's start and join).
// Not a test: run it by hand.
//
//   md_keepup_bench [--rounds N]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "memdomain/domain.h"
#include "server_fixture.h"

using namespace memdomain;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double since_us(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

OpenOptions options(const std::string& dir, bool reader) {
    OpenOptions o;
    o.socket_dir = dir;
    o.transport = TransportKind::Socket;
    o.reader_thread = reader;
    return o;
}

std::vector<double> memdomain_pingpong(const std::string& dir, int rounds, bool reader) {
    const OpenOptions o = options(dir, reader);
    int ready[2];
    if (::pipe(ready) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        auto d = Domain::open("Bench", o);
        char c = 'r';
        if (!d || ::write(ready[1], &c, 1) != 1) _exit(1);
        for (int i = 0; i < rounds; ++i) {
            auto n = d->wait(0, std::chrono::seconds(5));
            auto peers = d->peers();
            if (!n || *n == 0 || peers.empty() || !d->notify(peers.front(), 0)) _exit(1);
        }
        _exit(0);
    }
    std::vector<double> rtt;
    auto d = Domain::open("Bench", o);
    char c;
    if (!d || ::read(ready[0], &c, 1) != 1) return rtt;
    std::vector<PeerId> peers;
    for (int i = 0; i < 500 && peers.empty(); ++i) {
        peers = d->peers();
        if (peers.empty()) ::usleep(1000);
    }
    for (int i = 0; i < rounds && !peers.empty(); ++i) {
        auto t0 = Clock::now();
        if (!d->notify(peers.front(), 0)) break;
        auto n = d->wait(0, std::chrono::seconds(5));
        if (!n || *n == 0) break;
        rtt.push_back(since_us(t0));
    }
    ::waitpid(pid, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    return rtt;
}

std::vector<double> open_close(const std::string& dir, int n, bool reader) {
    const OpenOptions o = options(dir, reader);
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        { auto d = Domain::open("Bench", o); if (!d) break; }
        us.push_back(since_us(t0));
    }
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 5000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (std::string(argv[i]) == "--rounds") rounds = std::stoi(argv[i + 1]);
    test::Server server(test::domain_config("Bench", "1MB", 1, "4K"));
    if (!server.ok()) {
        std::fprintf(stderr, "%s\n", server.start_error().c_str());
        return 1;
    }
    const std::string dir = server.socket_dir();
    const double without = median(memdomain_pingpong(dir, rounds, false));
    const double with = median(memdomain_pingpong(dir, rounds, true));
    std::printf("keepup_bench: %d round trips, 200 opens (medians)\n", rounds);
    std::printf("doorbell RTT, no reader           %8.2f us\n", without);
    std::printf("doorbell RTT, reader thread       %8.2f us  ratio %.2f\n", with, with / without);
    const double open_with = median(open_close(dir, 200, true));
    const double open_without = median(open_close(dir, 200, false));
    std::printf("open+close, no reader             %8.2f us\n", open_without);
    std::printf("open+close, reader thread         %8.2f us  ratio %.2f\n", open_with, open_with / open_without);
    return 0;
}
