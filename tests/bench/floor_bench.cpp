// The raw floors memdomain-bench is compared against (tests/bench/compare.sh),
// measured with no memdomain code in the way:
//   floor_bench cacheline --cpus A,B [--seconds S]
//       two processes pinned to A and B bounce one 64-byte line of a shared
//       anonymous mapping (A writes odd numbers, B answers with the next
//       even one); round trip per exchange, timed like memdomain-bench's
//       ping (steady_clock around each round trip).
//   floor_bench eventfd --cpus A,B [--seconds S]
//       the same ping-pong with two eventfds and blocking reads: the floor
//       of a sleeping doorbell round trip.
//   floor_bench memcpy --cpu C --size BYTES [--span BYTES] [--seconds S]
//       one core copying BYTES-sized blocks from a source into destinations
//       cycling over SPAN bytes (default 64 blocks, the footprint of
//       memdomain-bench's bulk ring): payload GB/s.
//   floor_bench pipe --cpus A,B --size BYTES [--slots N] [--seconds S]
//       the same copies between two cores: A copies BYTES-sized blocks from
//       8 private sources into a ring of N (default 64) blocks of a shared
//       mapping, B copies each out into 8 private destinations; one word
//       per block says whose turn it is. What memdomain-bench's bulk test
//       does (stamp, send_copy in, recv_copy out, check: one word per line
//       each) with no channel in the way: payload GB/s.
// Each prints one JSON object: {"floor":..., "rtt_ns":{min,p50,p99,max}} or
// {"floor":"memcpy"|"pipe","gb_per_s":...}.
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "memdomain_bench_payload.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::string what;
    int cpu_a = 0, cpu_b = 1;
    double seconds = 2;
    std::uint64_t size = 65536, span = 0, slots = 64;
};

void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (::sched_setaffinity(0, sizeof s, &s) != 0) {
        std::perror("sched_setaffinity");
        std::exit(1);
    }
}

void print_rtt(const char* what, std::vector<std::uint32_t>& v) {
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) { return v.empty() ? 0u : v[static_cast<std::size_t>(p * (v.size() - 1) + 0.5)]; };
    std::printf("{\"floor\":\"%s\",\"samples\":%zu,\"rtt_ns\":{\"min\":%u,\"p50\":%u,\"p99\":%u,\"max\":%u}}\n", what,
                v.size(), pct(0), pct(0.5), pct(0.99), pct(1));
}

// One cache line, shared by the two processes: the pinger stores odd
// values, the ponger answers each with the next even one.
void cacheline(const Args& a) {
    void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::exit(1);
    auto* line = static_cast<std::atomic<std::uint64_t>*>(m);
    line->store(0);
    const pid_t child = ::fork();
    if (child == 0) {
        pin(a.cpu_b);
        for (std::uint64_t expect = 1;; expect += 2) {
            std::uint64_t v;
            while ((v = line->load(std::memory_order_acquire)) != expect)
                if (v == ~std::uint64_t{0}) ::_exit(0);
            line->store(expect + 1, std::memory_order_release);
        }
    }
    pin(a.cpu_a);
    std::vector<std::uint32_t> rtt;
    rtt.reserve(1 << 24);
    const auto end = Clock::now() + std::chrono::duration<double>(a.seconds);
    for (std::uint64_t n = 1; Clock::now() < end; n += 2) {
        const auto t0 = Clock::now();
        line->store(n, std::memory_order_release);
        while (line->load(std::memory_order_acquire) != n + 1) {
        }
        if (rtt.size() < rtt.capacity())
            rtt.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    }
    line->store(~std::uint64_t{0});
    ::waitpid(child, nullptr, 0);
    print_rtt("cacheline", rtt);
}

void eventfd_pingpong(const Args& a) {
    const int to_b = ::eventfd(0, 0), to_a = ::eventfd(0, 0);
    if (to_b < 0 || to_a < 0) std::exit(1);
    const pid_t child = ::fork();
    std::uint64_t v = 1;
    if (child == 0) {
        pin(a.cpu_b);
        for (;;) {
            if (::read(to_b, &v, 8) != 8 || v > 1000) ::_exit(0);
            v = 1;
            if (::write(to_a, &v, 8) != 8) ::_exit(1);
        }
    }
    pin(a.cpu_a);
    std::vector<std::uint32_t> rtt;
    const auto end = Clock::now() + std::chrono::duration<double>(a.seconds);
    while (Clock::now() < end) {
        const auto t0 = Clock::now();
        v = 1;
        if (::write(to_b, &v, 8) != 8 || ::read(to_a, &v, 8) != 8) std::exit(1);
        rtt.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    }
    v = 100000;  // tells the child to stop
    if (::write(to_b, &v, 8) != 8) std::exit(1);
    ::waitpid(child, nullptr, 0);
    print_rtt("eventfd", rtt);
}

void memcpy_floor(const Args& a) {
    pin(a.cpu_a);
    const std::uint64_t span = a.span != 0 ? a.span : 64 * a.size;
    std::vector<std::byte> src(a.size, std::byte{0x5a}), dst(span + a.size);
    std::uint64_t bytes = 0, at = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(a.seconds);
    for (std::uint64_t i = 0;; ++i) {
        if ((i & 15) == 0 && Clock::now() >= end) break;
        std::memcpy(dst.data() + at, src.data(), a.size);
        // Keep the copy from being optimised away: the destination escapes.
        asm volatile("" : : "r"(dst.data()) : "memory");
        bytes += a.size;
        at += a.size;
        if (at + a.size > span) at = 0;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("{\"floor\":\"memcpy\",\"size\":%llu,\"span\":%llu,\"gb_per_s\":%.3f}\n",
                static_cast<unsigned long long>(a.size), static_cast<unsigned long long>(span), bytes / secs / 1e9);
}

// Block i goes in ring block i % slots; its turn word (a line of its own)
// is 2 * lap when the block is free for lap `lap`, 2 * lap + 1 when written
// for it. ~0 in the next turn word ends the run.
void pipe_floor(const Args& a) {
    constexpr std::uint64_t kPrivate = 8, kDone = ~std::uint64_t{0};
    const std::uint64_t stride = (a.size + 63) / 64 * 64;
    const std::uint64_t bytes_shared = a.slots * 64 + a.slots * stride;
    void* m = ::mmap(nullptr, bytes_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::exit(1);
    auto* base = static_cast<std::byte*>(m);
    auto turn = [&](std::uint64_t slot) { return reinterpret_cast<std::atomic<std::uint64_t>*>(base + slot * 64); };
    auto block = [&](std::uint64_t slot) { return base + a.slots * 64 + slot * stride; };
    const pid_t child = ::fork();
    if (child == 0) {
        pin(a.cpu_b);
        std::vector<std::byte> dst(kPrivate * stride);
        for (std::uint64_t i = 0;; ++i) {
            const std::uint64_t slot = i % a.slots, want = 2 * (i / a.slots) + 1;
            std::uint64_t t;
            while ((t = turn(slot)->load(std::memory_order_acquire)) != want)
                if (t == kDone) ::_exit(0);
            std::byte* out = dst.data() + (i % kPrivate) * stride;
            std::memcpy(out, block(slot), a.size);
            turn(slot)->store(want + 1, std::memory_order_release);
            if (!memdomain::bench::verify(out, static_cast<std::uint32_t>(a.size), i, false)) {
                std::fprintf(stderr, "floor_bench pipe: block %llu arrived torn\n", static_cast<unsigned long long>(i));
                ::_exit(1);
            }
        }
    }
    pin(a.cpu_a);
    std::vector<std::byte> src(kPrivate * stride, std::byte{0x5a});
    std::uint64_t i = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(a.seconds);
    for (;; ++i) {
        if ((i & 15) == 0 && Clock::now() >= end) break;
        const std::uint64_t slot = i % a.slots, free_turn = 2 * (i / a.slots);
        while (turn(slot)->load(std::memory_order_acquire) != free_turn) {
        }
        std::byte* in = src.data() + (i % kPrivate) * stride;
        memdomain::bench::stamp(in, static_cast<std::uint32_t>(a.size), i, false);
        std::memcpy(block(slot), in, a.size);
        turn(slot)->store(free_turn + 1, std::memory_order_release);
    }
    // Every block written has been read once its slot is free again.
    for (std::uint64_t k = i >= a.slots ? i - a.slots : 0; k < i; ++k)
        while (turn(k % a.slots)->load(std::memory_order_acquire) != 2 * (k / a.slots) + 2) {
        }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    turn(i % a.slots)->store(kDone, std::memory_order_release);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
    std::printf("{\"floor\":\"pipe\",\"size\":%llu,\"slots\":%llu,\"gb_per_s\":%.3f}\n",
                static_cast<unsigned long long>(a.size), static_cast<unsigned long long>(a.slots),
                static_cast<double>(i * a.size) / secs / 1e9);
}

int usage() {
    std::fprintf(stderr,
                 "usage: floor_bench cacheline|eventfd --cpus A,B [--seconds S]\n"
                 "       floor_bench memcpy --cpu C --size BYTES [--span BYTES] [--seconds S]\n"
                 "       floor_bench pipe --cpus A,B --size BYTES [--slots N] [--seconds S]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    Args a;
    a.what = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--cpus" && std::sscanf(v.c_str(), "%d,%d", &a.cpu_a, &a.cpu_b) == 2) continue;
        if (k == "--cpu") a.cpu_a = std::atoi(v.c_str());
        else if (k == "--seconds") a.seconds = std::atof(v.c_str());
        else if (k == "--size") a.size = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--span") a.span = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--slots") a.slots = std::strtoull(v.c_str(), nullptr, 0);
        else return usage();
    }
    if (a.what == "cacheline") cacheline(a);
    else if (a.what == "eventfd") eventfd_pingpong(a);
    else if (a.what == "memcpy" && a.size > 0) memcpy_floor(a);
    else if (a.what == "pipe" && a.size > 0 && a.slots > 0) pipe_floor(a);
    else return usage();
    return 0;
}
