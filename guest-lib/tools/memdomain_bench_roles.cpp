// memdomain-bench's four ends: tx and rx (rate and bulk tests), ping and
// pong (round trips). Each returns what it measured; none prints.
#include <algorithm>
#include <random>
#include <thread>

#include "memdomain_bench_ends.h"

namespace memdomain::bench {

using Clock = std::chrono::steady_clock;

namespace {

std::string fwd_name(const BenchOptions& o) { return o.name + ".fwd"; }
std::string ping_name(const BenchOptions& o) { return o.name + ".ping"; }
std::string pong_name(const BenchOptions& o) { return o.name + ".pong"; }

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void jitter(std::mt19937& rng, int max_ns) {
    if (max_ns <= 0) return;
    const auto until = Clock::now() + std::chrono::nanoseconds(rng() % (static_cast<unsigned>(max_ns) + 1));
    while (Clock::now() < until) cpu_relax();
}

EndResult& failed(EndResult& r, const Error& e) {
    r.error = e.message;
    r.error_errno = e.sys;
    return r;
}

void take_stats(EndResult& r, const ChannelStats& s) {
    r.sleeps += s.sleeps;
    r.wakeups += s.wakeups;
    r.invalid += s.invalid;
}

// Counts a received message against the sequence it should carry.
struct Checker {
    const BenchOptions& o;
    EndResult& r;
    std::uint64_t expect = 0;
    bool ended = false;
    void operator()(const std::byte* p, std::uint32_t len) {
        if (ended) {
            ++r.corrupt;  // nothing may follow END
            return;
        }
        if (is_end(p, len, &r.announced)) {
            ended = true;
            return;
        }
        ++r.messages;
        r.bytes += len;
        const std::uint64_t seq = seq_of(p, len);
        if (len != o.size || seq != expect || !verify(p, len, seq, o.full_verify)) ++r.corrupt;
        expect = seq + 1;
    }
};

EndResult run_tx(const BenchOptions& o) {
    EndResult r;
    r.role = "tx";
    auto s = open_session(o, 1);
    if (!s) return failed(r, s.error());
    auto ch = create_channel(*s, o, fwd_name(o));
    if (!ch) return failed(r, ch.error());
    Sender tx(*ch, o);
    std::mt19937 rng(1);
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(o.seconds);
    std::uint64_t seq = 0;
    for (std::uint64_t round = 0;; ++round) {
        if (o.count > 0 ? seq >= o.count : ((round & 63) == 0 && Clock::now() >= end)) break;
        jitter(rng, o.jitter_ns);
        const auto want = static_cast<std::uint32_t>(o.count > 0 ? std::min<std::uint64_t>(o.batch, o.count - seq) : o.batch);
        auto n = tx.send(seq, want);
        if (!n) return failed(r, n.error());
        seq += *n;
        if (*n == 0) {
            if (auto st = tx.idle(); !st) return failed(r, st.error());
            if (!ch->consumer_alive()) return r.error = "the consumer went away", r;
        }
    }
    r.seconds = since(t0);
    r.messages = seq;
    r.bytes = seq * o.size;
    if (auto st = tx.send_end(seq); !st) r.error = st.error().message;
    take_stats(r, ch->stats());
    // Stay until the consumer has read everything, so our memory outlives its use.
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    while (ch->consumer_alive() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return r;
}

EndResult run_rx(const BenchOptions& o) {
    EndResult r;
    r.role = "rx";
    auto s = open_session(o, 0);
    if (!s) return failed(r, s.error());
    auto ch = open_channel(*s, o, fwd_name(o));
    if (!ch) return failed(r, ch.error());
    Receiver rx(*ch, o);
    Checker check{o, r};
    Clock::time_point t0{}, last = Clock::now();
    while (!check.ended) {
        auto n = rx.poll(check);
        if (!n) return failed(r, n.error());
        if (*n > 0) {
            if (t0 == Clock::time_point{}) t0 = Clock::now();
            last = Clock::now();
            continue;
        }
        if (auto st = rx.idle(); !st) return failed(r, st.error());
        if (Clock::now() - last > std::chrono::milliseconds(o.timeout_ms))
            return r.error = "no message for " + std::to_string(o.timeout_ms) + " ms", r;
    }
    r.seconds = since(t0);
    take_stats(r, ch->stats());
    return r;
}

// Waits for exactly one message on rx and hands it to `got`.
template <class F>
Status await_one(Receiver& rx, const BenchOptions& o, F&& got) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    for (std::uint32_t spins = 0;; ++spins) {
        MD_ASSIGN_OR_RETURN(std::uint32_t n, rx.poll(got));
        if (n > 0) return {};
        MD_TRY(rx.idle());
        if ((spins & 1023) == 0 && Clock::now() >= deadline)
            return make_error("no answer for " + std::to_string(o.timeout_ms) + " ms", ETIMEDOUT);
    }
}

EndResult run_ping(const BenchOptions& o) {
    EndResult r;
    r.role = "ping";
    auto s = open_session(o, 1);
    if (!s) return failed(r, s.error());
    auto out = create_channel(*s, o, ping_name(o));
    if (!out) return failed(r, out.error());
    auto in = open_channel(*s, o, pong_name(o));
    if (!in) return failed(r, in.error());
    Sender tx(*out, o);
    Receiver rx(*in, o);
    std::mt19937 rng(3);
    r.rtt_ns.reserve(o.count > 0 ? o.count : 1 << 20);
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(o.seconds);
    for (std::uint64_t seq = 0; o.count > 0 ? seq < o.count : Clock::now() < end; ++seq) {
        jitter(rng, o.jitter_ns);
        const auto start = Clock::now();
        for (;;) {
            auto n = tx.send(seq, 1);
            if (!n) return failed(r, n.error());
            if (*n == 1) break;
            if (auto st = tx.idle(); !st) return failed(r, st.error());
        }
        bool ok = false;
        auto st = await_one(rx, o, [&](const std::byte* p, std::uint32_t len) {
            ok = len == o.size && seq_of(p, len) == seq && verify(p, len, seq, o.full_verify);
        });
        if (!st) return r.error = st.error().message + " (round trip " + std::to_string(seq) + ")", r;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        if (r.rtt_ns.size() < (std::size_t{1} << 26)) r.rtt_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
        ++r.messages;
        r.bytes += o.size;
        if (!ok) ++r.corrupt;
    }
    r.seconds = since(t0);
    if (auto st = tx.send_end(r.messages); !st) r.error = st.error().message;
    take_stats(r, out->stats());
    take_stats(r, in->stats());
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    while (out->consumer_alive() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return r;
}

EndResult run_pong(const BenchOptions& o) {
    EndResult r;
    r.role = "pong";
    auto s = open_session(o, 1);
    if (!s) return failed(r, s.error());
    auto in = open_channel(*s, o, ping_name(o));
    if (!in) return failed(r, in.error());
    auto out = create_channel(*s, o, pong_name(o));
    if (!out) return failed(r, out.error());
    Sender tx(*out, o);
    Receiver rx(*in, o);
    Checker check{o, r};
    std::mt19937 rng(4);
    const auto t0 = Clock::now();
    while (!check.ended) {
        const std::uint64_t before = r.messages;
        auto st = await_one(rx, o, check);
        if (!st) return failed(r, st.error());
        if (r.messages == before) continue;  // END (or a stray)
        jitter(rng, o.jitter_ns);
        for (;;) {
            auto n = tx.send(check.expect - 1, 1);
            if (!n) return failed(r, n.error());
            if (*n == 1) break;
            if (auto st2 = tx.idle(); !st2) return failed(r, st2.error());
        }
    }
    r.seconds = since(t0);
    take_stats(r, in->stats());
    take_stats(r, out->stats());
    return r;
}

}  // namespace

const char* test_name(Test t) {
    switch (t) {
        case Test::Rate: return "rate";
        case Test::PingPong: return "pingpong";
        case Test::Bulk: return "bulk";
    }
    return "?";
}

std::uint32_t default_slots(Test t) { return t == Test::Rate ? 1024 : 64; }

EndResult run_end(const BenchOptions& o, Role role) {
    switch (role) {
        case Role::Tx: return run_tx(o);
        case Role::Rx: return run_rx(o);
        case Role::Ping: return run_ping(o);
        case Role::Pong: return run_pong(o);
    }
    return EndResult{};
}

}  // namespace memdomain::bench
