// The guest tools as real processes against a real memdomaind:
// memdomain-ping (both roles, and the static -guest build) and memdomain-info.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "agent_client.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

const std::string kConfig = domain_config("Echo") + domain_config("Other", "64K", 1);

class Tools : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }

    Process start(const std::string& tool, std::vector<std::string> args, const std::string& log) {
        args.insert(args.begin(), tool);
        args.insert(args.end(), {"--socket-dir", server_.socket_dir(), "--transport", "socket"});
        Process::Options o;
        o.log_path = server_.socket_dir() + "/" + log;
        return Process(args, o);
    }
    // Runs to completion; {exit code or -1, output}.
    std::pair<int, std::string> run(const std::string& tool, std::vector<std::string> args, const std::string& log) {
        Process p = start(tool, std::move(args), log);
        auto st = p.wait(std::chrono::seconds(20));
        std::string out = p.log();
        if (!st || !WIFEXITED(*st)) return {-1, out};
        return {WEXITSTATUS(*st), out};
    }
    bool pong_ready(Process& pong) {
        return eventually([&] { return pong.log().find("ready") != std::string::npos; });
    }

    Server server_{kConfig};
};

const std::regex kPingSummary(R"(ping: 20 round trips, min [0-9.]+ us, median [0-9.]+ us, max [0-9.]+ us)");

TEST_F(Tools, PingAndPongCompleteRoundTripsAndPrintASummary) {
    Process pong = start(MEMDOMAIN_PING_PATH, {"Echo", "--role", "pong", "--count", "20", "--vector", "1"}, "pong.log");
    ASSERT_TRUE(pong_ready(pong)) << pong.log();
    auto [code, out] = run(MEMDOMAIN_PING_PATH, {"Echo", "--role", "ping", "--count", "20", "--vector", "1"}, "ping.log");
    EXPECT_EQ(code, 0) << out;
    EXPECT_TRUE(std::regex_search(out, kPingSummary)) << out;
    auto st = pong.wait(std::chrono::seconds(5));
    ASSERT_TRUE(st) << "pong did not exit after its 20 pings: " << pong.log();
    EXPECT_EQ(WEXITSTATUS(*st), 0);
    EXPECT_NE(pong.log().find("answered 20 pings"), std::string::npos) << pong.log();
}

#ifdef MEMDOMAIN_PING_GUEST_PATH
TEST_F(Tools, StaticGuestPingRunsAgainstAHostPong) {
    Process pong = start(MEMDOMAIN_PING_PATH, {"Echo", "--role", "pong"}, "pong.log");
    ASSERT_TRUE(pong_ready(pong)) << pong.log();
    auto [code, out] = run(MEMDOMAIN_PING_GUEST_PATH, {"Echo", "--role", "ping", "--count", "20"}, "ping.log");
    EXPECT_EQ(code, 0) << out;
    EXPECT_TRUE(std::regex_search(out, kPingSummary)) << out;
}
#endif  // the static guest build is left out of sanitized builds

TEST_F(Tools, PingExitsNonZeroWhenThePeerNeverAnswers) {
    AgentClient silent(server_.socket_dir() + "/silent.log");
    const int id = silent.open("Echo", server_.socket_dir());
    ASSERT_GE(id, 0);
    auto [code, out] = run(MEMDOMAIN_PING_PATH,
                           {"Echo", "--role", "ping", "--peer", std::to_string(id), "--timeout-ms", "300"}, "ping.log");
    EXPECT_EQ(code, 1) << out;
    EXPECT_NE(out.find("no answer"), std::string::npos) << out;
}

TEST_F(Tools, InfoPrintsTheDomainAsJson) {
    auto [code, out] = run(MEMDOMAIN_INFO_PATH, {"Echo", "--json"}, "info.log");
    ASSERT_EQ(code, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j["name"], "Echo");
    EXPECT_EQ(j["transport"], "socket");
    EXPECT_EQ(j["interrupt_mode"], "eventfd");
    EXPECT_EQ(j["access"], "R/W");
    EXPECT_EQ(j["page_size"], 4096);
    EXPECT_EQ(j["vectors"], 2);
    EXPECT_EQ(j["segments"], 1);
    EXPECT_GT(j["data_size"].get<std::uint64_t>(), 0u);
}

TEST_F(Tools, InfoListsEveryDomainOfTheServer) {
    auto [code, out] = run(MEMDOMAIN_INFO_PATH, {}, "list.log");
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("Echo"), std::string::npos) << out;
    EXPECT_NE(out.find("Other"), std::string::npos) << out;
    EXPECT_EQ(out.find("control"), std::string::npos) << out;
}

TEST_F(Tools, InfoExitsWith2ForAMissingDomain) {
    auto [code, out] = run(MEMDOMAIN_INFO_PATH, {"NoSuchDomain"}, "missing.log");
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find("NoSuchDomain"), std::string::npos) << out;
}

}  // namespace
}  // namespace memdomain::test
