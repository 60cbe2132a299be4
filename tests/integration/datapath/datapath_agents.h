// What the data-path integration tests share: a real memdomaind with one
// 4K-page domain, md_datapath_agent processes (each a peer that can be
// SIGKILLed mid-operation), and memdomain-bench ends as processes.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_client.h"
#include "eventually.h"
#include "server_fixture.h"

namespace memdomain::test {

inline constexpr std::uint64_t kAgentSlot = 64 * 1024;

class DatapathAgents : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }

    // A new agent, opened and attached (64 KiB arena slots).
    AgentClient& agent() {
        const std::string log = server_.socket_dir() + "/agent" + std::to_string(agents_.size()) + ".log";
        agents_.push_back(std::make_unique<AgentClient>(log, DATAPATH_AGENT_PATH));
        AgentClient& a = *agents_.back();
        ids_.push_back(a.open("Dp", server_.socket_dir()));
        epochs_.push_back(a.fields("attach " + std::to_string(kAgentSlot))["epoch"]);
        return a;
    }
    std::string epoch_of(const AgentClient& a) const {
        for (std::size_t i = 0; i < agents_.size(); ++i)
            if (agents_[i].get() == &a) return epochs_[i];
        return "?";
    }
    int id_of(const AgentClient& a) const {
        for (std::size_t i = 0; i < agents_.size(); ++i)
            if (agents_[i].get() == &a) return ids_[i];
        return -1;
    }
    // SIGKILLs an agent and waits until `observer` no longer sees its id.
    void kill(AgentClient& victim, AgentClient& observer) {
        const int id = id_of(victim);
        victim.process().kill();
        // Gone from the presence bitmap (the server cleared its bit), and
        // so from every live claim the observer sees.
        ASSERT_TRUE(eventually([&] {
            return observer.ok("present " + std::to_string(id)) == "0" &&
                   present_ids(observer).find(" " + std::to_string(id) + " ") == std::string::npos;
        })) << "peer " << id << " still present";
    }
    // " a b c " of the live owners in `observer`'s slot table and directory.
    std::string present_ids(AgentClient& observer) {
        std::string live = " ";
        std::istringstream in(observer.ok("slots"));
        for (std::string w; in >> w;)
            if (w.size() > 2 && w.substr(w.size() - 2) == ":1") live += w.substr(0, w.find(':')) + " ";
        return live;
    }

    // memdomain-bench with `args`; returns its last stdout line parsed (a
    // null json if it printed none) and its exit status.
    struct BenchRun {
        int status = -1;
        nlohmann::json result;
        std::string log;
    };
    Process bench(const std::vector<std::string>& args, const std::string& tag) {
        std::vector<std::string> argv{MEMDOMAIN_BENCH_PATH};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--domain", "Dp", "--socket-dir", server_.socket_dir(), "--json", "--transport", "socket"});
        Process::Options o;
        o.log_path = server_.socket_dir() + "/bench-" + tag + ".log";
        return Process(argv, o);
    }
    static BenchRun finish(Process& p, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        BenchRun r;
        auto st = p.wait(timeout);
        r.status = st ? *st : -1;
        r.log = p.log();
        // The last line that is a JSON object.
        std::istringstream in(r.log);
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line.front() == '{') {
                try {
                    r.result = nlohmann::json::parse(line);
                } catch (...) {
                }
            }
        return r;
    }

    Server server_{domain_config("Dp", "16MB")};
    std::vector<std::unique_ptr<AgentClient>> agents_;
    std::vector<int> ids_;
    std::vector<std::string> epochs_;
};

}  // namespace memdomain::test
