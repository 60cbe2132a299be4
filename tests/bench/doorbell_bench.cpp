// Doorbell round trips and attach time, each against a baseline measured in
// the same run on the same machine (this machine is shared and noisy, so
// only ratios mean something):
//   - doorbell RTT through memdomain (Domain::notify / Domain::wait between
//     two processes attached to a real memdomaind) vs a raw blocking eventfd
//     ping-pong between two processes: the floor any doorbell can reach.
//   - attach time of a domain (Domain::open: connect, receive, map, validate)
//     vs mapping and faulting a fresh region of the same size, which is what
//     a process that builds its own memory (DPDK's EAL) pays.
//
//   doorbell_bench [--rounds N] [--size 64M] [--page 2M|4K]
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

using namespace memdomain;
using Clock = std::chrono::steady_clock;

namespace {

double median_us(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void report(const char* what, double baseline, double ours, const char* baseline_name) {
    std::printf("%-34s %10.2f us   baseline %-34s %10.2f us   ratio %.2f\n", what, ours, baseline_name, baseline,
                baseline > 0 ? ours / baseline : 0.0);
}

// Raw eventfd ping-pong between two processes, blocking reads.
std::vector<double> eventfd_pingpong(int rounds) {
    int to_child = ::eventfd(0, 0), to_parent = ::eventfd(0, 0);
    pid_t pid = ::fork();
    std::uint64_t v = 1;
    if (pid == 0) {
        for (int i = 0; i < rounds; ++i) {
            if (::read(to_child, &v, 8) != 8 || ::write(to_parent, &v, 8) != 8) _exit(1);
        }
        _exit(0);
    }
    std::vector<double> rtt;
    for (int i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        if (::write(to_child, &v, 8) != 8 || ::read(to_parent, &v, 8) != 8) break;
        rtt.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    int st;
    ::waitpid(pid, &st, 0);
    ::close(to_child);
    ::close(to_parent);
    return rtt;
}

// The same through memdomain: two processes attached to one domain.
std::vector<double> memdomain_pingpong(const std::string& dir, int rounds) {
    OpenOptions o;
    o.socket_dir = dir;
    o.transport = TransportKind::Socket;
    int ready[2];
    if (::pipe(ready) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        auto d = Domain::open("Bench", o);
        if (!d) _exit(1);
        char c = 'r';
        if (::write(ready[1], &c, 1) != 1) _exit(1);
        for (int i = 0; i < rounds; ++i) {
            auto n = d->wait(0, std::chrono::seconds(5));
            if (!n || *n == 0) _exit(1);
            auto peers = d->peers();
            if (peers.empty() || !d->notify(peers.front(), 0)) _exit(1);
        }
        _exit(0);
    }
    auto d = Domain::open("Bench", o);
    char c;
    std::vector<double> rtt;
    if (!d || ::read(ready[0], &c, 1) != 1) return rtt;
    std::vector<PeerId> peers;
    for (int i = 0; i < 500 && peers.empty(); ++i) {
        peers = d->peers();
        if (peers.empty()) ::usleep(1000);
    }
    if (peers.empty()) return rtt;
    for (int i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        if (!d->notify(peers.front(), 0)) break;
        auto n = d->wait(0, std::chrono::seconds(5));
        if (!n || *n == 0) break;
        rtt.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    int st;
    ::waitpid(pid, &st, 0);
    return rtt;
}

// Mapping and faulting a fresh region of `size` bytes with `page` pages.
double fresh_region_us(std::uint64_t size, std::uint64_t page) {
    auto t0 = Clock::now();
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | (page == 2 * MiB ? MAP_HUGETLB : 0);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (p == MAP_FAILED) return -1;
    ::munmap(p, size);
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 5000;
    std::string size = "64M", page = "2M";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--rounds") rounds = std::stoi(argv[i + 1]);
        else if (a == "--size") size = argv[i + 1];
        else if (a == "--page") page = argv[i + 1];
    }
    test::Server server(test::domain_config("Bench", size, 1, page));
    if (!server.ok()) {
        std::fprintf(stderr, "%s\n", server.start_error().c_str());
        return 1;
    }
    std::printf("doorbell_bench: %d round trips, domain of %s in %s pages (medians)\n", rounds, size.c_str(),
                page.c_str());
    double base = median_us(eventfd_pingpong(rounds));
    double ours = median_us(memdomain_pingpong(server.socket_dir(), rounds));
    report("memdomain doorbell round trip", base, ours, "raw eventfd ping-pong");

    OpenOptions o;
    o.socket_dir = server.socket_dir();
    std::vector<double> attach, fresh;
    const std::uint64_t bytes = *parse_size(size), pg = page_size_of(*parse_page_class(page));
    for (int i = 0; i < 20; ++i) {
        auto t0 = Clock::now();
        auto d = Domain::open("Bench", o);
        attach.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!d) return 1;
        fresh.push_back(fresh_region_us(bytes, pg));
    }
    report("attach (Domain::open)", median_us(fresh), median_us(attach), "mmap+fault a fresh region");
    return 0;
}
