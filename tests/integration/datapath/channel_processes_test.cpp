// Channels between two processes (memdomain-bench's single ends: tx/rx and
// ping/pong), every payload checked by the receiver: copy and zero-copy,
// doorbell sleeps raced against sends with random jitter, and a consumer
// facing a third process that scribbles over the channel.
#include <sys/wait.h>

#include <thread>

#include "datapath_agents.h"

namespace memdomain::test {
namespace {

class ChannelProcesses : public DatapathAgents {
protected:
    // Runs a receiving and a sending end and returns the receiver's result.
    BenchRun run(std::vector<std::string> recv, std::vector<std::string> send, BenchRun* sender = nullptr) {
        Process r = bench(recv, "recv");
        Process s = bench(send, "send");
        BenchRun sr = finish(s);
        BenchRun rr = finish(r);
        if (sender) *sender = sr;
        EXPECT_EQ(sr.status, 0) << sr.log;
        return rr;
    }
};

TEST_F(ChannelProcesses, ACopyChannelDeliversEveryMessageIntactInOrder) {
    BenchRun rx = run({"rx", "--size", "200", "--slots", "64"}, {"tx", "--size", "200", "--slots", "64", "--count", "300000"});
    ASSERT_EQ(rx.status, 0) << rx.log;
    EXPECT_EQ(rx.result["received"], 300000);
    EXPECT_EQ(rx.result["sent"], 300000);  // what tx announced in its END
    EXPECT_EQ(rx.result["lost"], 0);
    EXPECT_EQ(rx.result["corrupt"], 0);
}

TEST_F(ChannelProcesses, AZeroCopyChannelReturnsEveryBufferAndChecksEveryByte) {
    BenchRun tx;
    BenchRun rx = run({"rx", "--mode", "zero-copy", "--size", "1500", "--verify", "full", "--slots", "32"},
                      {"tx", "--mode", "zero-copy", "--size", "1500", "--verify", "full", "--slots", "32", "--count",
                       "20000"},
                      &tx);
    ASSERT_EQ(rx.status, 0) << rx.log;
    EXPECT_EQ(rx.result["received"], 20000);
    EXPECT_EQ(rx.result["corrupt"], 0);
    // The pool holds slots + 2 batches: 20000 messages only went through
    // because buffers came back.
    EXPECT_EQ(tx.result["tx"]["invalid"], 0);
}

TEST_F(ChannelProcesses, DoorbellSleepsRacedAgainstSendsNeverLoseAWakeUp) {
    // Each round trip is a race between a reader going to sleep and a
    // writer publishing; a lost wake-up would stall a round for the
    // 3-second timeout and fail the run.
    BenchRun ping;
    BenchRun pong = run({"pong", "--wait", "doorbell", "--timeout-ms", "3000"},
                        {"ping", "--wait", "doorbell", "--count", "5000", "--jitter-ns", "3000", "--timeout-ms", "3000"},
                        &ping);
    ASSERT_EQ(pong.status, 0) << pong.log;
    EXPECT_EQ(ping.result["received"], 5000);
    EXPECT_EQ(ping.result["corrupt"], 0);
    EXPECT_EQ(pong.result["received"], 5000);
    EXPECT_GT(pong.result["pong"]["sleeps"].get<int>(), 100);
    EXPECT_GT(ping.result["ping"]["wakeups"].get<int>(), 100);
}

TEST_F(ChannelProcesses, AConsumerFacingAScribblingPeerNeverCrashes) {
    AgentClient& hostile = agent();
    Process r = bench({"rx", "--mode", "zero-copy", "--slots", "32", "--timeout-ms", "2000"}, "recv");
    Process s = bench({"tx", "--mode", "zero-copy", "--slots", "32", "--seconds", "3", "--timeout-ms", "2000"}, "send");
    ASSERT_TRUE(eventually([&] { return hostile.call("lookup bench.fwd").rfind("ok", 0) == 0; }));
    hostile.ok("scribble bench.fwd 1500");
    BenchRun rr = finish(r), sr = finish(s);
    // Errors or reported corruption are fine; a signal is not.
    ASSERT_TRUE(WIFEXITED(rr.status)) << rr.log;
    ASSERT_TRUE(WIFEXITED(sr.status)) << sr.log;
}

}  // namespace
}  // namespace memdomain::test
