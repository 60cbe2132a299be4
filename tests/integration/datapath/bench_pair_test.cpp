// memdomain-bench pair, end to end, as a correctness test (not a timing
// one): every test, mode and wait runs briefly and reports lost = 0 and
// corrupt = 0 with the documented JSON fields.
#include "datapath_agents.h"

namespace memdomain::test {
namespace {

struct Case {
    const char* test;
    const char* mode;
    const char* wait;
};

class BenchPair : public DatapathAgents, public ::testing::WithParamInterface<Case> {};

TEST_P(BenchPair, RunsBothEndsAndLosesNothing) {
    const Case c = GetParam();
    std::vector<std::string> args{"pair", "--test", c.test, "--mode", c.mode, "--wait", c.wait, "--seconds", "0.3"};
    if (std::string(c.test) == "bulk") args.insert(args.end(), {"--size", "16384"});
    Process p = bench(args, "pair");
    BenchRun r = finish(p);
    ASSERT_EQ(r.status, 0) << r.log;
    const auto& j = r.result;
    for (const char* f : {"test", "size", "mode", "wait", "seconds", "sent", "received", "lost", "corrupt", "mpps",
                          "gb_per_s"})
        EXPECT_TRUE(j.contains(f)) << f << " missing in " << j.dump();
    EXPECT_EQ(j["test"], c.test);
    EXPECT_EQ(j["mode"], c.mode);
    EXPECT_EQ(j["wait"], c.wait);
    EXPECT_EQ(j["lost"], 0);
    EXPECT_EQ(j["corrupt"], 0);
    EXPECT_GT(j["received"].get<long>(), 0);
    EXPECT_EQ(j["sent"], j["received"]);
    EXPECT_GT(j["mpps"].get<double>(), 0);
    if (std::string(c.test) == "pingpong") {
        for (const char* f : {"min", "p50", "p99", "max"}) EXPECT_TRUE(j["rtt_ns"].contains(f)) << f;
        EXPECT_LE(j["rtt_ns"]["min"].get<long>(), j["rtt_ns"]["p50"].get<long>());
        EXPECT_LE(j["rtt_ns"]["p99"].get<long>(), j["rtt_ns"]["max"].get<long>());
    }
}

INSTANTIATE_TEST_SUITE_P(Tests, BenchPair,
                         ::testing::Values(Case{"rate", "copy", "poll"}, Case{"rate", "zero-copy", "poll"},
                                           Case{"rate", "copy", "doorbell"}, Case{"pingpong", "copy", "poll"},
                                           Case{"pingpong", "zero-copy", "doorbell"}, Case{"bulk", "copy", "poll"},
                                           Case{"bulk", "zero-copy", "doorbell"}),
                         [](const auto& info) {
                             std::string n = std::string(info.param.test) + "_" + info.param.mode + "_" + info.param.wait;
                             for (char& ch : n)
                                 if (ch == '-') ch = '_';
                             return n;
                         });

TEST_F(DatapathAgents, BenchRefusesBadArgumentsWithAMessage) {
    Process p = bench({"pair", "--test", "sideways"}, "bad");
    BenchRun r = finish(p);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.log.find("--test must be rate, pingpong or bulk"), std::string::npos) << r.log;
    Process::Options o;
    o.log_path = server_.socket_dir() + "/bench-missing.log";
    Process q({MEMDOMAIN_BENCH_PATH, "rx", "--domain", "Nope", "--socket-dir", server_.socket_dir(), "--transport",
               "socket"},
              o);
    r = finish(q);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.log.find("Nope"), std::string::npos) << r.log;
}

}  // namespace
}  // namespace memdomain::test
