// dpdk_peer: a DPDK application the dpdk tests run as a real process, one
// mode per test scenario:
//   heap      md_dpdk_heap_attach + every kind of DPDK object on the heap,
//             each checked to lie inside the arena; detach refused while busy
//   exchange  a net_memdomain port whose mbuf pool is on the domain heap:
//             send N tagged frames, receive the other end's N, verify each
//   link      a net_memdomain port that prints every link change (LSC) and
//             counts what it receives until SIGTERM
//   trickle / sleep   one frame every 100 ms to a receiver that sleeps on
//             its Rx interrupt between them
// Output is line-oriented "KEY value ..." for the test to parse.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

namespace dpdk_peer {

struct Options {
    std::string mode;
    std::string domain;
    std::string socket_dir;
    std::uint64_t count = 1000;
    std::uint32_t id = 0;
    std::uint32_t frame = 256;
    std::uint64_t min_mb = 0;
    int timeout_s = 20;
    bool private_pool = false;  // exchange: mbufs off the domain heap
    std::uint32_t hold = 0;     // exchange: keep the last N received frames until the port stopped
    int linger_ms = 0;          // exchange: keep polling this long before stopping
};

// The heap's range, for "inside the arena" checks.
struct Range {
    const void* base = nullptr;
    std::uint64_t size = 0;
    bool contains(const void* p, std::uint64_t len) const {
        auto b = reinterpret_cast<std::uintptr_t>(base), a = reinterpret_cast<std::uintptr_t>(p);
        return a >= b && len <= size && a - b <= size - len;
    }
};

int run_heap(const Options& o);
int run_exchange(const Options& o);
int run_link(const Options& o);
int run_trickle(const Options& o);
int run_sleep(const Options& o);

// Attaches the heap on o.domain and prints "HEAP ..."; fills *range.
// Returns the socket id or a negative errno (printed as "ERROR ...").
int attach_heap(const Options& o, Range* range);
// Configures and starts port 0 with one queue each way on `pool`, with LSC
// interrupts. Returns 0 or a negative errno.
int start_port(std::uint16_t port, rte_mempool* pool);
bool wait_link(std::uint16_t port, bool up, int timeout_s);

}  // namespace dpdk_peer
