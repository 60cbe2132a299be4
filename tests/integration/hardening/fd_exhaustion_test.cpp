// memdomaind out of descriptors, for real: started under util-linux prlimit
// with a low hard RLIMIT_NOFILE, its table filled with control connections.
//   - With exactly one descriptor left, a peer's connection takes it: the
//     server cannot even count its descriptors, let alone make the peer's
//     eventfds. The peer must get the refusal pair (QEMU waits forever on a
//     bare close), and the server must stay usable.
//   - With none left, accept() fails while connections wait in the backlog:
//     the listener must back off (CPU time stays low, one log line per
//     listener, not one per loop turn) and serve the waiting connections
//     once descriptors free up.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "control_connection.h"
#include "eventually.h"
#include "ivshmem_greeting.h"
#include "memdomain/sys/socket.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr int kLimit = 64;
const std::string kNofile = "--nofile=" + std::to_string(kLimit) + ":" + std::to_string(kLimit);

const char* kConfig = R"(
memdomain Tight {
    vectors = 1
    max_peers = 8
    size {
        huge 4K = 128KB R/W
    }
}
)";

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

// A connection to a domain socket that reads its greeting in its own time.
struct Waiting {
    sys::UniqueFd sock;
    Result<IvshmemGreeting> greeting(std::chrono::milliseconds timeout) {
        return read_ivshmem_greeting(sock.get(), SteadyClock::now() + timeout);
    }
};

class FdExhaustion : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        auto c = ControlConnection::connect(server_.socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        control_.push_back(std::move(c).value());
        ASSERT_EQ(stats().at("fd_limit").get<long>(), kLimit) << "prlimit did not apply";
    }
    nlohmann::json stats() {
        auto r = control_.front().call("stats");
        EXPECT_TRUE(r && r->value("ok", false)) << (r ? r->dump() : r.error().message);
        return r && r->value("ok", false) ? r->at("result") : nlohmann::json::object();
    }
    // One more control connection; true when the server accepted it (it
    // answered), false when it waits in the backlog.
    bool one_more_control(std::chrono::milliseconds wait) {
        auto c = ControlConnection::connect(server_.socket_dir());
        EXPECT_TRUE(c) << c.error().message;
        if (!c) return false;
        EXPECT_TRUE(c->send_raw("{\"v\":1,\"verb\":\"list\"}\n"));
        auto r = c->read_reply(wait);
        control_.push_back(std::move(c).value());
        return static_cast<bool>(r);
    }
    // Control connections until the server holds `target` descriptors.
    void fill_to(long target) {
        long open = stats().at("fds_open").get<long>();
        ASSERT_LT(open, target);
        while (open < target) {
            ASSERT_TRUE(one_more_control(5s)) << "not accepted at " << open << " fds\n" << server_.log();
            ++open;
        }
        ASSERT_EQ(stats().at("fds_open").get<long>(), target);
    }
    Waiting connect_peer() {
        auto s = sys::connect_unix(server_.socket("Tight"));
        EXPECT_TRUE(s) << s.error().message;
        return Waiting{s ? std::move(s).value() : sys::UniqueFd()};
    }

    // util-linux prlimit sets soft = hard and execs memdomaind in place, so
    // raising the soft limit at start cannot help the daemon.
    Server server_{kConfig, {}, {"/usr/bin/prlimit", kNofile, "--"}};
    std::vector<ControlConnection> control_;
};

TEST_F(FdExhaustion, APeerTakingTheLastDescriptorGetsTheRefusalPair) {
    ASSERT_NO_FATAL_FAILURE(fill_to(kLimit - 1));
    Waiting peer = connect_peer();
    auto g = peer.greeting(5s);
    ASSERT_FALSE(g) << "admitted without a descriptor to spare";
    EXPECT_EQ(g.error().sys, ECONNREFUSED) << "not the refusal pair: " << g.error().message << "\n" << server_.log();
    EXPECT_TRUE(eventually([&] { return server_.log().find("no descriptor left") != std::string::npos; }))
        << server_.log();
    // Still usable: with descriptors back, a peer gets in.
    control_.erase(control_.begin() + 10, control_.end());
    ASSERT_TRUE(eventually([&] { return stats().value("fds_open", kLimit) < kLimit / 2; })) << "hang-ups not seen";
    Waiting next = connect_peer();
    auto ok = next.greeting(5s);
    ASSERT_TRUE(ok) << ok.error().message << "\n" << server_.log();
    EXPECT_GE(ok->id, 0);
}

TEST_F(FdExhaustion, AListenerWithoutDescriptorsBacksOffAndResumesWhenTheyFreeUp) {
    ASSERT_NO_FATAL_FAILURE(fill_to(kLimit - 1));
    ASSERT_TRUE(one_more_control(5s)) << "the last descriptor";
    ASSERT_FALSE(one_more_control(300ms)) << "the control listener accepted past the limit";
    // Every descriptor is taken; these wait in the domain socket's backlog.
    std::vector<Waiting> waiting;
    for (int i = 0; i < 3; ++i) waiting.push_back(connect_peer());

    const double before = cpu_seconds(server_.pid());
    std::this_thread::sleep_for(2s);
    const double used = cpu_seconds(server_.pid()) - before;
    std::printf("[ emfile   ] server CPU time in 2 s without descriptors: %.3f s\n", used);
    EXPECT_LT(used, 0.2) << "the server spins on a listener it cannot accept from";
    const std::string log = server_.log();
    EXPECT_EQ(count(log, server_.socket("Tight") + ": cannot accept ("), 1u) << "one line per episode\n"
                                                                               << log.substr(0, 4000);
    EXPECT_LE(count(log, "Too many open files"), 2u) << "the log floods\n" << log.substr(0, 4000);

    // Descriptors free up: the waiting connections are served.
    control_.erase(control_.begin() + 10, control_.end());
    for (auto& w : waiting) {
        auto g = w.greeting(5s);
        ASSERT_TRUE(g) << g.error().message << "\n" << server_.log();
        EXPECT_GE(g->id, 0);
    }
    EXPECT_TRUE(eventually([&] { return server_.log().find("accepting again after") != std::string::npos; }))
        << server_.log();
    EXPECT_EQ(stats().at("peers").get<long>(), 3);
}

}  // namespace
}  // namespace memdomain::test
