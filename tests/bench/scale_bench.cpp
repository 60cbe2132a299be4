// Scale of one server, measured (not asserted): how long a peer takes to
// join a domain that already has N peers, and what the server holds (fds,
// resident memory) — each newcomer receives every peer's eventfds, so the
// server's work per join grows with the peers; and the start-up of a server
// with many small domains. It ends with the descriptor budget the README
// quotes, measured: what a domain and a peer cost the server, and what a
// libmemdomain client holds as a function of peers x vectors.
//
//   scale_bench [--peers 256] [--domains 1000] [--budget-peers 64]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/domain.h"
#include "memdomain/sys/socket.h"
#include "server_fixture.h"

using namespace memdomain;
using Clock = std::chrono::steady_clock;

namespace {

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    long value = 0;
    while (in >> key) {
        if (key == "VmRSS:") {
            in >> value;
            return value;
        }
        in.ignore(1 << 16, '\n');
    }
    return -1;
}

// A raw peer: connect and read the whole initial burst, keeping only its own
// eventfds.
struct Peer {
    sys::UniqueFd sock;
    std::vector<sys::UniqueFd> fds;
};

bool join(const std::string& path, Peer& p, unsigned vectors = 1) {
    auto s = sys::connect_unix(path);
    if (!s) return false;
    p.sock = std::move(s).value();
    auto v = sys::receive_message(p.sock.get(), std::chrono::seconds(10));
    auto id = sys::receive_message(p.sock.get(), std::chrono::seconds(10));
    if (!v || !id || id->value < 0) return false;
    for (;;) {
        auto m = sys::receive_message(p.sock.get(), std::chrono::seconds(10));
        if (!m) return false;
        // Keep only our own eventfd: a real peer keeps everyone's (peers x
        // vectors fds per client), which this one process could not hold
        // for hundreds of peers at once.
        if (m->value == id->value) {
            p.fds.push_back(std::move(m->fd));
            if (p.fds.size() == vectors) return true;  // our own ids end the burst
        }
    }
}

// What one peer costs the server and what a libmemdomain client holds, in a
// domain of `peers` peers with `vectors` vectors: peers - 1 lean peers, then
// a real client (Domain::open) as the last one.
struct Budget {
    double server_per_peer = 0;
    int client_fds = -1;
};

Budget measure_budget(int peers, unsigned vectors) {
    Budget b;
    std::string cfg = "memdomain Budget {\n  max_peers = " + std::to_string(peers) +
                      "\n  vectors = " + std::to_string(vectors) + "\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n";
    test::Server server(cfg);
    if (!server.ok()) {
        std::fprintf(stderr, "%s\n", server.start_error().c_str());
        return b;
    }
    const int fds0 = test::count_fds(server.pid());
    std::vector<Peer> crowd(static_cast<std::size_t>(peers - 1));
    for (auto& p : crowd)
        if (!join(server.socket("Budget"), p, vectors)) return b;
    const int own0 = test::count_fds(::getpid());
    OpenOptions o;
    o.socket_dir = server.socket_dir();
    o.transport = TransportKind::Socket;
    auto d = Domain::open("Budget", o);
    if (!d) {
        std::fprintf(stderr, "Domain::open: %s\n", d.error().message.c_str());
        return b;
    }
    b.client_fds = test::count_fds(::getpid()) - own0;
    b.server_per_peer = double(test::count_fds(server.pid()) - fds0) / peers;
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    int peers = 256, domains = 1000, budget_peers = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--peers") peers = std::stoi(argv[i + 1]);
        if (a == "--domains") domains = std::stoi(argv[i + 1]);
        if (a == "--budget-peers") budget_peers = std::stoi(argv[i + 1]);
    }
    // The real client of the budget part holds every peer's eventfds.
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);

    std::string cfg = "memdomain Crowd {\n  max_peers = " + std::to_string(peers) +
                      "\n  size {\n    huge 4K = 4MB R/W\n  }\n}\n";
    test::Server server(cfg);
    if (!server.ok()) {
        std::fprintf(stderr, "%s\n", server.start_error().c_str());
        return 1;
    }
    const int fds0 = test::count_fds(server.pid());
    std::vector<Peer> crowd(static_cast<std::size_t>(peers));
    std::printf("scale_bench: one domain, peers joining one after another (vectors = 1)\n");
    std::printf("%8s %14s %12s %12s\n", "peers", "join (us)", "server fds", "server RSS");
    for (int i = 0; i < peers; ++i) {
        auto t0 = Clock::now();
        if (!join(server.socket("Crowd"), crowd[static_cast<std::size_t>(i)])) {
            std::fprintf(stderr, "peer %d could not join\n", i);
            return 1;
        }
        double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        const int n = i + 1;
        if (n == 1 || n == 16 || n == 64 || n == 128 || n == peers)
            std::printf("%8d %14.1f %12d %9ld KiB\n", n, us, test::count_fds(server.pid()) - fds0,
                        rss_kib(server.pid()));
    }
    crowd.clear();

    int one_domain_fds = -1;
    {
        test::Server one(test::domain_config("d0", "64K", 1));
        if (one.ok()) one_domain_fds = test::count_fds(one.pid());
    }
    std::string many;
    for (int i = 0; i < domains; ++i) many += test::domain_config("d" + std::to_string(i), "64K", 1);
    auto t0 = Clock::now();
    test::Server big(many);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!big.ok()) {
        std::fprintf(stderr, "%s\n", big.start_error().c_str());
        return 1;
    }
    std::printf("scale_bench: %d domains of 64K: start-up %.0f ms, server fds %d, RSS %ld KiB\n", domains, ms,
                test::count_fds(big.pid()), rss_kib(big.pid()));
    const double per_domain =
        domains > 1 ? double(test::count_fds(big.pid()) - one_domain_fds) / (domains - 1) : 0;

    std::printf("scale_bench: descriptor budget, measured (the README quotes these lines)\n");
    std::printf("  server: %.2f fds per one-segment domain (listening socket, memfd, read-only fd)\n", per_domain);
    for (unsigned v : {1u, 4u}) {
        const Budget b = measure_budget(budget_peers, v);
        const long formula = 1 + long(budget_peers) * v;
        std::printf("  server: %.2f fds per peer with vectors = %u (1 socket + vectors eventfds)\n",
                    b.server_per_peer, v);
        std::printf("  client: %d fds in one libmemdomain client of a domain of %d peers x %u vectors "
                    "(1 socket + peers x vectors eventfds = %ld, %+ld other)\n",
                    b.client_fds, budget_peers, v, formula, b.client_fds - formula);
        std::printf("  domain of %d peers x %u vectors: its clients hold ~%ld fds together "
                    "(peers x (1 + peers x vectors)), the server %ld\n",
                    budget_peers, v, long(budget_peers) * formula, long(budget_peers) * (1 + long(v)));
    }
    return 0;
}
