// A read-write peer scribbles random and extreme values over its segment's
// header and doorbell mailbox (memory every R/W peer may write) while a
// control client runs show, list and stats in a loop. The server must stay
// up and answer every request, the other peers must keep ringing each
// other, and newcomers must still be admitted: the server never takes an
// address, a size or a loop bound from that memory.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "control_connection.h"
#include "host_peer.h"
#include "ivshmem_greeting.h"
#include "memdomain/sys/socket.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const char* kConfig = R"(
memdomain Scribble {
    vectors = 2
    max_peers = 8
    size {
        huge 4K = 1MB R/W
    }
}
)";

// What the issue reported: an address in the mailbox offset, and bounds
// that walk far past the mapping.
void write_the_reported_values(std::byte* segment) {
    auto* h = reinterpret_cast<SegmentHeader*>(segment);
    h->mailbox_offset = 0x7fff00000000ull;
    h->max_peers = 0xffffffffu;
    h->vectors = 0xffffffffu;
}

// Random bytes, and extreme values in the fields that describe the layout,
// over header and mailbox, until `stop`.
void scribble(std::byte* segment, std::size_t area, std::uint64_t seed, const std::atomic<bool>& stop,
              std::atomic<std::uint64_t>& rounds) {
    std::mt19937_64 rng(seed);
    const std::uint64_t extremes[] = {0, 1, ~0ull, 0x7fff00000000ull, 1ull << 63, 0xffffffffull, 4096, 1ull << 47};
    auto* h = reinterpret_cast<SegmentHeader*>(segment);
    auto extreme = [&] { return extremes[rng() % std::size(extremes)]; };
    while (!stop.load()) {
        switch (rng() % 3) {
            case 0:  // a burst of random bytes anywhere in header + mailbox
                for (int i = 0; i < 256; ++i) segment[rng() % area] = static_cast<std::byte>(rng());
                break;
            case 1:  // the layout fields
                h->mailbox_offset = extreme();
                h->mailbox_size = extreme();
                h->data_offset = extreme();
                h->data_size = extreme();
                h->segment_size = extreme();
                h->max_peers = static_cast<std::uint32_t>(extreme());
                h->vectors = static_cast<std::uint32_t>(extreme());
                h->segment_count = static_cast<std::uint32_t>(extreme());
                break;
            default:  // presence, counts, epochs and the mailbox words
                for (auto& w : h->presence) w = extreme();
                h->peer_count = extreme();
                h->presence_seq = extreme();
                h->peer_epoch[rng() % kMaxPeers] = static_cast<std::uint16_t>(rng());
                for (std::size_t off = kHeaderAreaSize; off + 8 <= area; off += 8) {
                    std::uint64_t v = extreme();
                    std::memcpy(segment + off, &v, 8);
                }
                break;
        }
        rounds.fetch_add(1);
    }
}

// A newcomer is admitted: it gets version, an id and the memory.
bool newcomer_admitted(const std::string& socket) {
    auto s = sys::connect_unix(socket);
    if (!s) return false;
    auto g = read_ivshmem_greeting(s->get(), SteadyClock::now() + 5s);
    return g && g->id >= 0 && g->memory.valid();
}

TEST(HostileHeader, ScribbledHeaderAndMailboxNeitherCrashNorStopTheServer) {
    Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto scribbler = HostPeer::connect(server.socket("Scribble"));
    auto a = HostPeer::connect(server.socket("Scribble"));
    auto b = HostPeer::connect(server.socket("Scribble"));
    ASSERT_TRUE(scribbler && a && b);
    ASSERT_TRUE(scribbler->writable());
    ASSERT_TRUE(a->drain(100ms) && b->drain(100ms));
    auto control = ControlConnection::connect(server.socket_dir());
    ASSERT_TRUE(control) << control.error().message;
    const std::size_t area = kHeaderAreaSize + 8 * kMailboxStride;

    // The reported crash first: show reads the doorbell counters.
    write_the_reported_values(scribbler->memory());
    auto shown = control->call("show", "Scribble");
    ASSERT_TRUE(shown) << "no answer to show after the header was scribbled: " << shown.error().message << "\n"
                       << server.log();
    ASSERT_TRUE(shown->value("ok", false)) << shown->dump();
    for (const auto& p : shown->at("result").at("instances").at(0).at("segments").at(0).at("peers"))
        EXPECT_EQ(p.at("doorbells").size(), 2u) << "the server's own vector count, not the header's";

    // Then random and extreme values for a while, with every verb in a loop.
    const std::uint64_t seed = std::random_device{}();
    std::printf("[ scribble ] seed %" PRIu64 "\n", seed);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> rounds{0};
    std::thread writer(scribble, scribbler->memory(), area, seed, std::cref(stop), std::ref(rounds));
    const auto until = std::chrono::steady_clock::now() + 3s;
    int answered = 0, rings = 0, joins = 0;
    while (std::chrono::steady_clock::now() < until) {
        for (const char* verb : {"show", "list", "stats"}) {
            auto r = std::string(verb) == "show" ? control->call(verb, "Scribble") : control->call(verb);
            ASSERT_TRUE(r) << verb << ": " << r.error().message << "\n" << server.log();
            ASSERT_TRUE(r->value("ok", false)) << verb << ": " << r->dump();
            ++answered;
        }
        // The other peers' doorbells go through the kernel, not the header.
        ASSERT_TRUE(a->ring(b->id(), answered % 2));
        auto rung = b->wait_doorbell(answered % 2, 2s);
        ASSERT_TRUE(rung && *rung) << "a doorbell between two other peers was lost";
        ++rings;
        if (answered % 30 == 0) {
            ASSERT_TRUE(newcomer_admitted(server.socket("Scribble"))) << server.log();
            ++joins;
        }
    }
    stop = true;
    writer.join();
    std::printf("[ scribble ] %d answers, %d doorbells, %d newcomers while %" PRIu64 " scribbles\n", answered, rings,
                joins, rounds.load());
    EXPECT_GT(rounds.load(), 100u);
    EXPECT_GT(answered, 30);

    // The peers heard the newcomers come and go, and the server is still there.
    ASSERT_TRUE(a->drain(200ms));
    EXPECT_TRUE(server.process().running()) << server.log();
    auto stats = control->call("stats");
    ASSERT_TRUE(stats && stats->value("ok", false));
    EXPECT_EQ(stats->at("result").at("peers").get<long>(), 3) << "the newcomers left, the three stayed";
    auto st = server.stop();
    ASSERT_TRUE(st) << "memdomaind did not exit on SIGTERM";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "exit status " << *st << "\n" << server.log();
}

}  // namespace
}  // namespace memdomain::test
