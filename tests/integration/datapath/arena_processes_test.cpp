// Arenas claimed by peers in separate processes: never shared, and the
// claims of a SIGKILLed peer taken over, never inherited by the next peer
// that gets its id.
#include <sstream>
#include <thread>

#include "datapath_agents.h"

namespace memdomain::test {
namespace {

class ArenaProcesses : public DatapathAgents {};

TEST_F(ArenaProcesses, ClaimersInThreeProcessesNeverShareASlot) {
    std::vector<AgentClient*> as = {&agent(), &agent(), &agent()};
    std::vector<std::map<std::string, std::string>> results(3);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i) ts.emplace_back([&, i] { results[i] = as[i]->fields("claim-stress 400"); });
    for (auto& t : ts) t.join();
    int claims = 0;
    for (auto& r : results) {
        EXPECT_EQ(r["conflicts"], "0");
        claims += std::stoi(r["claims"]);
    }
    EXPECT_GT(claims, 600);
}

TEST_F(ArenaProcesses, ClaimsOfAPeerKilledMidClaimAreTakenOver) {
    AgentClient& victim = agent();
    AgentClient& other = agent();
    victim.ok("claim-loop");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int id = id_of(victim);
    kill(victim, other);
    // Whatever it held when it died is still marked with its (id, epoch)...
    std::istringstream in(other.ok("slots"));
    int held = 0, slots = 0;
    for (std::string w; in >> w; ++slots)
        if (w.rfind(std::to_string(id) + ":", 0) == 0) {
            ++held;
            EXPECT_EQ(w.back(), '0') << w;  // ...and not live
        }
    // ...and every slot can be claimed by the survivor.
    EXPECT_EQ(other.fields("claim " + std::to_string(slots * kAgentSlot))["count"], std::to_string(slots));
    EXPECT_EQ(other.ok("owned"), "1");
    (void)held;
}

TEST_F(ArenaProcesses, ANewPeerWithTheDeadPeersIdDoesNotInheritItsClaim) {
    AgentClient& victim = agent();
    AgentClient& observer = agent();
    const int id = id_of(victim);
    victim.ok("claim " + std::to_string(3 * kAgentSlot));
    const std::string before = observer.ok("slots");
    kill(victim, observer);
    // Ids are handed out round robin: open peers until one gets the dead id.
    AgentClient* heir = nullptr;
    for (int i = 0; i < 70 && heir == nullptr; ++i) {
        AgentClient& a = agent();
        if (id_of(a) == id)
            heir = &a;
        else
            a.ok("quit");
    }
    ASSERT_NE(heir, nullptr);
    // The old claim still names the same id with the victim's epoch, dead;
    // the heir has a new epoch, so the claim is not its own.
    auto first_slot = [](const std::string& slots) { return slots.substr(0, slots.find(' ')); };
    const std::string was = first_slot(before), now = first_slot(heir->ok("slots"));
    EXPECT_EQ(was, std::to_string(id) + ":" + epoch_of(victim) + ":1");
    EXPECT_EQ(now, std::to_string(id) + ":" + epoch_of(victim) + ":0");
    EXPECT_NE(epoch_of(*heir), epoch_of(victim));
    EXPECT_EQ(heir->ok("owned"), "0");
    // It can take the dead claim over like anyone.
    EXPECT_EQ(heir->fields("claim " + std::to_string(3 * kAgentSlot))["first"], "0");
}

}  // namespace
}  // namespace memdomain::test
