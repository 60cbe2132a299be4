// memdomain-bench: what its parts share. The tool measures the data path
// (memdomain/channel.h) between two peers of a domain: message rate,
// busy-poll or doorbell round trip, and bulk throughput, with every payload
// checked. `pair` runs both ends itself in two processes pinned to two
// CPUs; the single-end roles run one end each (two VMs, two containers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "tool_options.h"

namespace memdomain::bench {

enum class Test { Rate, PingPong, Bulk };
enum class Role { Tx, Rx, Ping, Pong };

struct BenchOptions {
    std::string domain;
    Test test = Test::Rate;
    std::uint32_t size = 64;        // payload bytes per message
    double seconds = 2.0;           // how long the sender (or ping) runs
    std::uint64_t count = 0;        // > 0: exactly this many messages instead of `seconds`
    bool zero_copy = false;         // --mode
    bool doorbell = false;          // --wait
    bool json = false;
    bool full_verify = false;       // --verify full: every byte; else one word per cache line
    std::uint32_t batch = 32;
    std::uint32_t slots = 0;        // 0: by test (rate 1024, pingpong 64, bulk 64)
    std::string name = "bench";     // channel name prefix
    int cpu = -1;                   // single-end roles: pin here
    std::vector<int> cpus;          // pair: the two CPUs
    int jitter_ns = 0;              // spin 0..N ns before each send (race tests)
    int timeout_ms = 10000;         // for the other end to show up, and for progress
    tools::TransportOptions transport;
};

// What one end measured.
struct EndResult {
    std::string role;
    std::uint64_t messages = 0;   // sent (tx, ping) or received (rx, pong), END excluded
    std::uint64_t bytes = 0;
    std::uint64_t corrupt = 0;    // payload, length or order check failures
    std::uint64_t announced = 0;  // rx: the count the sender's END carried
    double seconds = 0;           // first message to END
    std::uint64_t sleeps = 0, wakeups = 0, invalid = 0;
    std::vector<std::uint32_t> rtt_ns;  // ping
    std::string error;            // empty when the end ran to completion
    int error_errno = 0;
};

const char* test_name(Test t);
std::uint32_t default_slots(Test t);

// Runs one end in this process (already pinned, if asked).
EndResult run_end(const BenchOptions& o, Role role);

// pair: forks the two ends onto o.cpus and combines their results.
int run_pair(const BenchOptions& o);
// One end alone: prints its result; the exit code.
int run_single(const BenchOptions& o, Role role);

// Pins the calling process to `cpu`.
Status pin_to_cpu(int cpu);

}  // namespace memdomain::bench
