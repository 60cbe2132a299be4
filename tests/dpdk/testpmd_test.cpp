// dpdk-testpmd to dpdk-testpmd over net_memdomain on the host: txonly in one
// process, rxonly in the other, the sender stopped first and then the
// receiver: every frame the sender counted is counted by the receiver. And
// the link follows the other end: down when it is killed, up again when it
// returns, with frames flowing again.
#include <gtest/gtest.h>

#include <csignal>

#include "dpdk_run.h"
#include "eventually.h"

namespace memdomain::test::dpdk {
namespace {

struct Case {
    const char* name;
    unsigned frame;
    const char* extra;  // devargs
    unsigned queues = 1;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class TestpmdPair : public ::testing::TestWithParam<Case> {};

TEST_P(TestpmdPair, ReceiverCountsExactlyWhatTheSenderSent) {
    const Case c = GetParam();
    const std::string name = std::string("pmd") + c.name;
    Server server(dpdk_domain_config(name));
    ASSERT_TRUE(server.ok()) << server.start_error();
    TempDir logs;
    const std::string v = vdev(name, server, c.extra);
    DpdkProcess tx("tx", testpmd_argv("txonly", 1, "tx", v, c.frame, false, c.queues), logs);
    DpdkProcess rx("rx", testpmd_argv("rxonly", 0, "rx", v, c.frame, false, c.queues), logs);
    // Frames flow once both ends are up: the receiver's periodic stats show them.
    ASSERT_TRUE(eventually([&] { return last_number(rx.log(), "Rx-pps:").value_or(0) > 0; }, std::chrono::seconds(25)))
        << rx.log() << tx.log();
    auto st = tx.stop();
    ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << tx.log();
    // The sender has drained (its stop waits for the receiver to take every
    // frame in flight); only now does the receiver stop.
    auto sr = rx.stop();
    ASSERT_TRUE(sr && WIFEXITED(*sr) && WEXITSTATUS(*sr) == 0) << rx.log();
    auto sent = testpmd_counts(tx.log());
    auto got = testpmd_counts(rx.log());
    ASSERT_TRUE(sent && got) << tx.log() << rx.log();
    EXPECT_GT(sent->tx, 10000u) << tx.log();
    EXPECT_EQ(got->rx, sent->tx) << "sender:\n" << tx.log() << "\nreceiver:\n" << rx.log();
}

INSTANTIATE_TEST_SUITE_P(Modes, TestpmdPair,
                         ::testing::Values(Case{"copy64", 64, "zero-copy=no"}, Case{"copy1500", 1500, "zero-copy=no"},
                                           Case{"zc64", 64, "zero-copy=yes"}, Case{"zc1500", 1500, "zero-copy=yes"},
                                           // Multi-queue: Tx queue q feeds Rx queue q; one forwarding core
                                           // drives both.
                                           Case{"copy256q4", 256, "zero-copy=no", 4},
                                           Case{"zc1500q2", 1500, "zero-copy=yes", 2}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TestpmdLink, FollowsTheOtherEndAcrossAKill) {
    const std::string name = "pmdlink";
    Server server(dpdk_domain_config(name));
    ASSERT_TRUE(server.ok()) << server.start_error();
    TempDir logs;
    const std::string v = vdev(name, server);
    std::vector<std::string> argv = {peer_path()};
    for (auto& a : eal_args("0@0", false, "link", {v})) argv.push_back(a);
    argv.insert(argv.end(), {"--", "link", "--domain", name, "--socket-dir", server.socket_dir()});
    DpdkProcess watcher("watcher", argv, logs);
    ASSERT_TRUE(watcher.wait_for("STARTED", std::chrono::seconds(20))) << watcher.log();

    auto count = [&](const std::string& what) {
        const std::string l = watcher.log();
        std::size_t n = 0;
        for (auto at = l.find(what); at != std::string::npos; at = l.find(what, at + 1)) ++n;
        return n;
    };
    {
        DpdkProcess sender("sender1", testpmd_argv("txonly", 1, "s1", v, 64), logs);
        ASSERT_TRUE(eventually([&] { return count("LINK up") == 1; }, std::chrono::seconds(20)))
            << watcher.log() << sender.log();
        ASSERT_TRUE(sender.wait_for("Tx-pps:", std::chrono::seconds(10))) << sender.log();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        sender.process().signal(SIGKILL);  // mid-traffic
        (void)sender.process().wait(std::chrono::seconds(5));
        ASSERT_TRUE(eventually([&] { return count("LINK down") == 1; }, std::chrono::seconds(10))) << watcher.log();
    }
    const auto before = field(watcher.log(), "LINK down", "received");
    ASSERT_TRUE(before.has_value()) << watcher.log();
    EXPECT_GT(std::stoull(*before), 0u) << "frames flowed before the kill\n" << watcher.log();
    {
        DpdkProcess sender("sender2", testpmd_argv("txonly", 1, "s2", v, 64), logs);
        ASSERT_TRUE(eventually([&] { return count("LINK up") == 2; }, std::chrono::seconds(20)))
            << watcher.log() << sender.log();
        ASSERT_TRUE(sender.wait_for("Tx-pps:", std::chrono::seconds(10))) << sender.log();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto st = sender.stop();
        ASSERT_TRUE(st.has_value()) << sender.log();
        ASSERT_TRUE(eventually([&] { return count("LINK down") == 2; }, std::chrono::seconds(10))) << watcher.log();
    }
    auto sw = watcher.stop();
    ASSERT_TRUE(sw && WIFEXITED(*sw) && WEXITSTATUS(*sw) == 0) << watcher.log();
    const auto after = field(watcher.log(), "STOPPED", "received");
    ASSERT_TRUE(after.has_value()) << watcher.log();
    EXPECT_GT(std::stoull(*after), std::stoull(*before)) << "frames flow again after the other end returned\n"
                                                         << watcher.log();
    EXPECT_EQ(field(watcher.log(), "STOPPED", "received"), field(watcher.log(), "STOPPED", "ipackets"));
}

}  // namespace
}  // namespace memdomain::test::dpdk
