// The test side of md_peer_agent, for the integration and domain-policy
// tests: starts one agent process (by PID, killed when this object goes
// away, pass or fail) and sends it line commands over a socketpair. See
// peer_agent.cpp for the commands.
#pragma once

#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "eventually.h"
#include "memdomain/sys/fd.h"
#include "process.h"

namespace memdomain::test {

class AgentClient {
public:
    // `log_path`: where the agent's stderr goes. `agent_path`: another agent
    // speaking the same line protocol (e.g. the data path's).
    explicit AgentClient(const std::string& log_path, const std::string& agent_path = PEER_AGENT_PATH);
    AgentClient(AgentClient&&) = default;

    // Sends one command; returns the reply line without "\n", or
    // "timeout"/"eof" when the agent did not answer.
    std::string call(const std::string& command, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // call() that must answer "ok...": returns what follows "ok" (trimmed);
    // records a test failure otherwise.
    std::string ok(const std::string& command);
    // ok() parsed as "key=value" words.
    std::map<std::string, std::string> fields(const std::string& command);

    // "open NAME DIR"; returns the peer id (or -1 with a test failure).
    int open(const std::string& name, const std::string& socket_dir);
    // Waits until this agent's peers() include `peer`: the server announces a
    // join to the others only after the joiner's own open returned, so a
    // test must wait for it before ringing the newcomer.
    bool sees_peer(int peer);

    Process& process() { return proc_; }
    pid_t pid() const { return proc_.pid(); }

private:
    sys::UniqueFd sock_;
    Process proc_;
    std::string pending_;  // bytes after the last reply line
};

}  // namespace memdomain::test
