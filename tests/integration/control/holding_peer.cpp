// A peer that attaches to one segment socket and stays until the server
// disconnects it, saying so on stdout line by line, so a test can run it as
// another user and watch a grant let it in and a revoke throw it out:
//   attached id=N access=R/W|R/O    (or: refused: <why>, exit 1)
//   disconnected                    (exit 0; after 60 s without it: timeout, exit 2)
//
//   control_holding_peer SOCKET
#include <cstdio>

#include "host_peer.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: control_holding_peer SOCKET\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    auto peer = memdomain::test::HostPeer::connect(argv[1]);
    if (!peer) {
        std::printf("refused: %s\n", peer.error().message.c_str());
        return 1;
    }
    std::printf("attached id=%lld access=%s\n", static_cast<long long>(peer->id()), peer->writable() ? "R/W" : "R/O");
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        // Joins and leaves of others are applied; the end of the stream is an error.
        if (auto e = peer->next_event(1s); !e) {
            std::printf("disconnected\n");
            return 0;
        }
    }
    std::printf("timeout\n");
    return 2;
}
