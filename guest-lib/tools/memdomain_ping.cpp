// memdomain-ping: a doorbell round trip between two peers of one domain,
// through a PingMailbox (ping_mailbox.h) at the start of the data area.
//
//   memdomain-ping NAME --role pong [--count N] [--vector V]
//   memdomain-ping NAME --role ping [--peer ID] [--count N] [--vector V] [--message TEXT]
//
// pong answers each doorbell on vector V by writing the sequence it read
// into `echo` and ringing the sender back; it stops after N pings when
// --count is given, else at SIGTERM/SIGINT. ping rings pong N times, checks
// every echo, and ends with one parseable line:
//   ping: 100 round trips, min 45.1 us, median 52.3 us, max 80.2 us
// Exit 0 ok, 2 domain not found, 1 anything else (timeout, wrong echo, ...).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "ping_mailbox.h"
#include "tool_options.h"

namespace po = boost::program_options;
using namespace memdomain;
using namespace memdomain::tools;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kTool = "memdomain-ping";
volatile sig_atomic_t g_stop = 0;

struct PingOptions {
    std::string name, role, message = "ping";
    long long peer = -1;
    std::uint64_t count = 0;  // 0: ping 10, pong forever
    std::uint32_t vector = 0;
    int timeout_ms = 5000;
    bool verbose = false;
};

std::atomic_ref<std::uint64_t> word(std::uint64_t& w) { return std::atomic_ref<std::uint64_t>(w); }

int fail(const std::string& msg) {
    std::fprintf(stderr, "%s: %s\n", kTool, msg.c_str());
    return kExitError;
}

// The peer to ping: the one given, else the only other one (waiting up to
// the timeout for it to attach).
Result<PeerId> pick_peer(Domain& d, const PingOptions& o) {
    const auto deadline = Clock::now() + milliseconds(o.timeout_ms);
    for (;;) {
        auto peers = d.peers();
        if (o.peer >= 0) {
            if (std::find(peers.begin(), peers.end(), static_cast<PeerId>(o.peer)) != peers.end())
                return static_cast<PeerId>(o.peer);
        } else if (peers.size() == 1) {
            return peers.front();
        } else if (peers.size() > 1) {
            return make_error(std::to_string(peers.size()) + " other peers are attached: choose one with --peer",
                              EINVAL);
        }
        if (Clock::now() >= deadline)
            return make_error(o.peer >= 0 ? "peer " + std::to_string(o.peer) + " did not attach in time"
                                          : "no other peer attached in time",
                              ETIMEDOUT);
        std::this_thread::sleep_for(milliseconds(10));
    }
}

// One round trip; its duration in microseconds.
Result<double> round_trip(Domain& d, PingMailbox* box, PeerId pong, std::uint64_t seq, const PingOptions& o) {
    word(box->sequence).store(seq, std::memory_order_release);
    const auto start = Clock::now();
    MD_TRY(d.notify(pong, o.vector));
    const auto deadline = start + milliseconds(o.timeout_ms);
    std::uint64_t last_echo = 0;
    bool woke = false;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() < 0) left = milliseconds(0);
        MD_ASSIGN_OR_RETURN(std::uint64_t n, d.wait(o.vector, left));
        last_echo = word(box->echo).load(std::memory_order_acquire);
        if (last_echo == seq) return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        woke = woke || n > 0;
        // A ring with an old echo is a late answer to an earlier ping: wait on.
        if (n == 0 || Clock::now() >= deadline)
            return make_error(woke ? "sequence mismatch: sent " + std::to_string(seq) + ", pong echoed " +
                                         std::to_string(last_echo)
                                   : "no answer to ping " + std::to_string(seq) + " within " +
                                         std::to_string(o.timeout_ms) + " ms",
                              woke ? EPROTO : ETIMEDOUT);
    }
}

int run_ping(Domain& d, const PingOptions& o) {
    auto pong = pick_peer(d, o);
    if (!pong) return report(kTool, pong.error());
    auto* box = static_cast<PingMailbox*>(d.data());
    const std::size_t len = std::min(o.message.size(), sizeof box->message);
    std::memcpy(box->message, o.message.data(), len);
    box->message_size = static_cast<std::uint32_t>(len);
    box->sender = d.self();
    word(box->magic).store(kPingMagic, std::memory_order_release);
    (void)d.wait(o.vector, milliseconds(0));  // forget rings from before we started
    // Start from a number no earlier run used, so a stale echo never matches.
    std::uint64_t seq = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) << 8;
    const std::uint64_t count = o.count ? o.count : 10;
    std::printf("ping: domain %s, self %" PRIu32 ", pong %" PRIu32 ", vector %" PRIu32 ", %" PRIu64 " pings\n",
                std::string(d.name()).c_str(), d.self(), *pong, o.vector, count);
    std::fflush(stdout);
    std::vector<double> us;
    for (std::uint64_t i = 0; i < count; ++i) {
        auto rt = round_trip(d, box, *pong, ++seq, o);
        if (!rt) return fail("round trip " + std::to_string(i + 1) + ": " + rt.error().message);
        us.push_back(*rt);
        if (o.verbose) std::printf("ping: seq %" PRIu64 " %.1f us\n", seq, *rt);
    }
    std::sort(us.begin(), us.end());
    std::printf("ping: %zu round trips, min %.1f us, median %.1f us, max %.1f us\n", us.size(), us.front(),
                us[us.size() / 2], us.back());
    return kExitOk;
}

int run_pong(Domain& d, const PingOptions& o) {
    auto* box = static_cast<PingMailbox*>(d.data());
    std::printf("pong: domain %s, self %" PRIu32 ", vector %" PRIu32 ", ready\n", std::string(d.name()).c_str(),
                d.self(), o.vector);
    std::fflush(stdout);
    std::uint64_t answered = 0;
    while (!g_stop && (o.count == 0 || answered < o.count)) {
        // Short slices so SIGTERM is noticed promptly.
        auto n = d.wait(o.vector, milliseconds(100));
        if (!n && n.error().sys != EINTR) return report(kTool, n.error());
        if (!n || *n == 0) continue;
        if (word(box->magic).load(std::memory_order_acquire) != kPingMagic) continue;  // not a ping
        const std::uint64_t seq = word(box->sequence).load(std::memory_order_acquire);
        const PeerId sender = box->sender;
        word(box->echo).store(seq, std::memory_order_release);
        if (auto st = d.notify(sender, o.vector); !st) {
            std::fprintf(stderr, "%s: answering peer %" PRIu32 ": %s\n", kTool, sender, st.error().message.c_str());
            continue;  // the pinger may have gone; keep serving others
        }
        ++answered;
        if (o.verbose) {
            const std::size_t len = std::min<std::size_t>(box->message_size, sizeof box->message);
            std::printf("pong: seq %" PRIu64 " from peer %" PRIu32 ": %.*s\n", seq, sender, static_cast<int>(len),
                        box->message);
            std::fflush(stdout);
        }
    }
    std::printf("pong: answered %" PRIu64 " pings\n", answered);
    return kExitOk;
}

void on_signal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
    TransportOptions t;
    PingOptions o;
    po::options_description desc("usage: memdomain-ping NAME --role pong|ping [options]\noptions");
    desc.add_options()("help,h", "show this help")("name", po::value(&o.name), "the domain")(
        "role", po::value(&o.role), "pong (answers) or ping (measures)")(
        "peer", po::value(&o.peer), "ping: the pong's peer id (default: the only other peer)")(
        "count", po::value(&o.count), "ping: round trips (default 10); pong: exit after this many (default: never)")(
        "vector", po::value(&o.vector), "doorbell vector (default 0)")(
        "message", po::value(&o.message), "ping: text placed in the mailbox (default \"ping\")")(
        "timeout-ms", po::value(&o.timeout_ms), "per round trip, and for the pong to attach (default 5000)")(
        "verbose,v", po::bool_switch(&o.verbose), "print every ping");
    add_transport_options(desc, t);
    po::positional_options_description pos;
    pos.add("name", 1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << desc << "\nexit codes: 0 ok, 2 domain not found, 1 other error\n";
            return kExitOk;
        }
    } catch (const po::error& e) {
        return fail(std::string(e.what()) + " (try --help)");
    }
    if (o.name.empty()) return fail("NAME is required (try --help)");
    if (o.role != "ping" && o.role != "pong") return fail("--role must be ping or pong");
    if (o.timeout_ms < 0) return fail("--timeout-ms must not be negative");
    auto opts = to_open_options(t);
    if (!opts) return report(kTool, opts.error());
    auto d = Domain::open(o.name, *opts);
    if (!d) return report(kTool, d.error());
    if (d->access() != Access::ReadWrite) return fail("domain '" + o.name + "' is read-only here; ping needs R/W");
    if (d->data_size() < sizeof(PingMailbox)) return fail("domain data area is smaller than the ping mailbox");
    if (o.vector >= d->vectors())
        return fail("vector " + std::to_string(o.vector) + " out of range (domain has " +
                    std::to_string(d->vectors()) + ")");
    struct sigaction sa {};
    sa.sa_handler = on_signal;  // no SA_RESTART: a blocked wait returns
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    return o.role == "ping" ? run_ping(*d, o) : run_pong(*d, o);
}
