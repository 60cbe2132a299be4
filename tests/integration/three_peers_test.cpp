// Three real client processes on one domain of a real memdomaind: shared
// bytes, targeted doorbells, join/leave notifications, kill -9 cleanup and
// the presence table.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>

#include "agent_client.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

const std::string kConfig = domain_config("Trio");

class ThreePeers : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        for (int i = 0; i < 3; ++i) agents_.emplace_back(server_.socket_dir() + "/agent" + std::to_string(i) + ".log");
    }
    int open(int i) { return agents_[i].open("Trio", server_.socket_dir()); }
    AgentClient& agent(int i) { return agents_[i]; }
    // Waits until agent i's events() have reported `event` (e.g. "J3").
    bool sees_event(int i, const std::string& event) {
        std::string seen;
        return eventually([&] {
            seen += " " + agent(i).ok("events");
            return (seen + " ").find(" " + event + " ") != std::string::npos;
        });
    }

    Server server_{kConfig};
    std::vector<AgentClient> agents_;
};

TEST_F(ThreePeers, BytesWrittenByOnePeerAreSeenByTheOtherTwo) {
    for (int i = 0; i < 3; ++i) ASSERT_GE(open(i), 0);
    agent(0).ok("write 4000 written-by-agent-0");
    EXPECT_EQ(agent(1).ok("read 4000 18"), "written-by-agent-0");
    EXPECT_EQ(agent(2).ok("read 4000 18"), "written-by-agent-0");
}

TEST_F(ThreePeers, DoorbellReachesOnlyTheTargetedPeerAndVector) {
    const int a = open(0), b = open(1), c = open(2);
    ASSERT_GE(a, 0);
    ASSERT_GE(c, 0);
    ASSERT_GE(b, 0);
    ASSERT_TRUE(agent(0).sees_peer(b));
    agent(0).ok("notify " + std::to_string(b) + " 1");
    EXPECT_EQ(agent(1).ok("wait 1 2000"), "1");
    // Nothing anywhere else: b's vector 0, c's and a's vectors 0 and 1.
    EXPECT_EQ(agent(1).ok("wait 0 100"), "0");
    EXPECT_EQ(agent(2).ok("wait 0 100"), "0");
    EXPECT_EQ(agent(2).ok("wait 1 100"), "0");
    EXPECT_EQ(agent(0).ok("wait 0 100"), "0");
    EXPECT_EQ(agent(0).ok("wait 1 100"), "0");
}

TEST_F(ThreePeers, NotifyOfAnUnknownPeerIsENOENT) {
    const int a = open(0);
    ASSERT_GE(a, 0);
    EXPECT_EQ(agent(0).call("notify 63 0").rfind("err " + std::to_string(ENOENT), 0), 0u);
}

TEST_F(ThreePeers, JoinAndLeaveAreReportedToTheOthers) {
    ASSERT_GE(open(0), 0);
    ASSERT_GE(open(1), 0);
    agent(0).ok("events");
    agent(1).ok("events");
    const int c = open(2);
    ASSERT_GE(c, 0);
    EXPECT_TRUE(sees_event(0, "J" + std::to_string(c)));
    EXPECT_TRUE(sees_event(1, "J" + std::to_string(c)));
    agent(2).ok("close");
    EXPECT_TRUE(sees_event(0, "L" + std::to_string(c)));
    EXPECT_TRUE(sees_event(1, "L" + std::to_string(c)));
}

TEST_F(ThreePeers, KilledPeerIsSeenAsLeftAndItsServerFdsAreReleased) {
    ASSERT_GE(open(0), 0);
    ASSERT_GE(open(1), 0);
    const int fds_before = count_fds(server_.pid());
    ASSERT_GT(fds_before, 0);
    const int c = open(2);
    ASSERT_GE(c, 0);
    EXPECT_TRUE(sees_event(0, "J" + std::to_string(c)));
    EXPECT_GT(count_fds(server_.pid()), fds_before);
    agent(2).process().kill();  // SIGKILL by PID, reaped
    EXPECT_TRUE(sees_event(0, "L" + std::to_string(c)));
    EXPECT_TRUE(sees_event(1, "L" + std::to_string(c)));
    int fds_after = -1;
    EXPECT_TRUE(eventually([&] { return (fds_after = count_fds(server_.pid())) == fds_before; }))
        << "server fds: " << fds_before << " before the peer joined, " << fds_after << " after it was killed";
}

TEST_F(ThreePeers, PresenceTableReflectsJoinsAndLeaves) {
    const int a = open(0);
    ASSERT_GE(a, 0);
    EXPECT_EQ(agent(0).ok("present " + std::to_string(a)), "1");
    const int b = open(1);
    ASSERT_GE(b, 0);
    EXPECT_TRUE(eventually([&] { return agent(0).ok("present " + std::to_string(b)) == "1"; }));
    EXPECT_TRUE(eventually([&] { return agent(0).ok("peer_count") == "2"; }));
    agent(1).process().kill();
    EXPECT_TRUE(eventually([&] { return agent(0).ok("present " + std::to_string(b)) == "0"; }));
    EXPECT_TRUE(eventually([&] { return agent(0).ok("peer_count") == "1"; }));
}

}  // namespace
}  // namespace memdomain::test
