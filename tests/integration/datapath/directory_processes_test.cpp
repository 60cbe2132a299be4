// The directory with publishers in separate processes: one winner per name
// when they race, nothing that looks valid after a publisher is SIGKILLed
// mid-publish, and lookups that survive a process scribbling over it.
#include <time.h>

#include <set>
#include <sstream>
#include <thread>

#include "datapath_agents.h"

namespace memdomain::test {
namespace {

class DirectoryProcesses : public DatapathAgents {};

std::int64_t realtime_ns() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

TEST_F(DirectoryProcesses, PublishersInThreeProcessesRacingForEachNameHaveOneWinner) {
    constexpr int kRounds = 100;
    std::vector<AgentClient*> as = {&agent(), &agent(), &agent()};
    // Every round starts at the same instant in the three processes.
    const std::int64_t start = realtime_ns() + 300'000'000;
    std::vector<std::map<std::string, std::string>> r(3);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i)
        ts.emplace_back([&, i] { r[i] = as[i]->fields("race r " + std::to_string(kRounds) + " " + std::to_string(start)); });
    for (auto& t : ts) t.join();
    std::multiset<int> winners;
    for (auto& x : r) {
        EXPECT_EQ(x["other"], "0");
        std::istringstream in(x["won"]);
        for (std::string w; std::getline(in, w, ',');)
            if (!w.empty()) winners.insert(std::stoi(w));
    }
    for (int round = 0; round < kRounds; ++round) EXPECT_EQ(winners.count(round), 1u) << "round " << round;
}

TEST_F(DirectoryProcesses, APublisherKilledMidPublishLeavesNothingValid) {
    AgentClient& victim = agent();
    AgentClient& other = agent();
    victim.ok("publish-loop v");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(victim, other);
    // None of its names is found; list shows its leftovers as dead.
    for (int i = 0; i < 40; ++i) EXPECT_EQ(other.call("lookup v." + std::to_string(i)).rfind("err " + std::to_string(ENOENT), 0), 0u);
    std::istringstream in(other.ok("list"));
    for (std::string w; in >> w;) EXPECT_EQ(w.back(), '0') << w;
    // The survivor can publish every one of those names, and clean up the rest.
    (void)other.ok("withdraw-stale");
    EXPECT_EQ(other.ok("list"), "");
    for (int i = 0; i < 40; ++i) other.ok("publish v." + std::to_string(i) + " 4096 64");
}

TEST_F(DirectoryProcesses, LookupsSurviveAProcessScribblingOverTheDirectory) {
    AgentClient& hostile = agent();
    AgentClient& reader = agent();
    // The hostile peer names the whole directory (its first entry's offset
    // is 512, 128 entries of 128 bytes) and writes garbage over it.
    hostile.ok("publish dir 512 16384");
    std::thread scribbler([&] { hostile.ok("scribble dir 1500"); });
    int answered = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1400);
    while (std::chrono::steady_clock::now() < until) {
        const std::string r = reader.call("lookup dir");
        EXPECT_TRUE(r.rfind("ok", 0) == 0 || r.rfind("err", 0) == 0) << r;
        if (r.rfind("ok", 0) == 0 || r.rfind("err", 0) == 0) ++answered;
        (void)reader.call("list");
    }
    scribbler.join();
    EXPECT_TRUE(reader.process().running());
    EXPECT_GT(answered, 10);
}

}  // namespace
}  // namespace memdomain::test
