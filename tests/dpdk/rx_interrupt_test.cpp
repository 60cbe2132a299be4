// Rx interrupts on doorbells: a receiver that sleeps in rte_epoll_wait on
// its queue's interrupt (as l3fwd-power does) between frames that arrive
// every 100 ms is woken by the sender's doorbell for each of them, not by
// its 5 s timeout, and receives all of them.
#include <gtest/gtest.h>

#include "dpdk_run.h"

namespace memdomain::test::dpdk {
namespace {

TEST(DpdkRxInterrupt, ASleepingReceiverIsWokenForEveryFrame) {
    const std::string name = "pmdintr";
    Server server(dpdk_domain_config(name));
    ASSERT_TRUE(server.ok()) << server.start_error();
    TempDir logs;
    const std::string v = vdev(name, server);
    auto argv = [&](const char* lcore, const char* prefix, const char* mode) {
        std::vector<std::string> a = {peer_path()};
        for (auto& s : eal_args(lcore, false, prefix, {v})) a.push_back(s);
        a.insert(a.end(), {"--", mode, "--domain", name, "--socket-dir", server.socket_dir(), "--count", "20",
                           "--timeout", "25"});
        return a;
    };
    DpdkProcess sleeper("sleeper", argv("0@0", "sl", "sleep"), logs);
    ASSERT_TRUE(sleeper.wait_for("STARTED", std::chrono::seconds(20))) << sleeper.log();
    DpdkProcess sender("sender", argv("0@1", "tr", "trickle"), logs);
    auto ss = sender.process().wait(std::chrono::seconds(40));
    auto sl = sleeper.process().wait(std::chrono::seconds(10));
    ASSERT_TRUE(ss && sl) << sender.log() << sleeper.log();
    EXPECT_EQ(*ss, 0) << sender.log();
    EXPECT_EQ(*sl, 0) << sleeper.log();
    const std::string log = sleeper.log();
    EXPECT_EQ(field(log, "SLEEP", "received").value_or(""), "20") << log;
    const auto woken = std::stoull(field(log, "SLEEP", "woken").value_or("0"));
    const auto timeouts = std::stoull(field(log, "SLEEP", "timeouts").value_or("99"));
    // It slept between frames and a doorbell woke it: at least once per
    // frame after the first, hardly ever the timeout.
    EXPECT_GE(woken, 19u) << log;
    EXPECT_LE(timeouts, 1u) << log;
    std::printf("[ RX-INTR ] %s\n", log.substr(log.rfind("SLEEP")).c_str());
}

}  // namespace
}  // namespace memdomain::test::dpdk
