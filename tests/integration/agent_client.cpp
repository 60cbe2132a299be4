// AgentClient: spawns md_peer_agent by PID and talks to it line by line.
#include "agent_client.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace memdomain::test {

AgentClient::AgentClient(const std::string& log_path, const std::string& agent_path) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        ADD_FAILURE() << "socketpair failed";
        return;
    }
    sock_.reset(sv[0]);
    Process::Options o;
    o.log_path = log_path;
    o.pass_fd = sv[1];
    proc_ = Process({agent_path, "--control-fd", std::to_string(sv[1])}, o);
    ::close(sv[1]);
}

std::string AgentClient::call(const std::string& command, std::chrono::milliseconds timeout) {
    const std::string line = command + "\n";
    if (::send(sock_.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
        return "eof";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto nl = pending_.find('\n'); nl != std::string::npos) {
            std::string reply = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return reply;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return "timeout";
        pollfd p{sock_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(sock_.get(), buf, sizeof buf, 0);
        if (n <= 0) return "eof";
        pending_.append(buf, static_cast<std::size_t>(n));
    }
}

std::string AgentClient::ok(const std::string& command) {
    std::string r = call(command);
    if (r.rfind("ok", 0) != 0) {
        ADD_FAILURE() << "agent " << proc_.pid() << ": '" << command << "' answered '" << r << "'; log:\n"
                      << proc_.log();
        return {};
    }
    r.erase(0, 2);
    while (!r.empty() && r.front() == ' ') r.erase(0, 1);
    return r;
}

std::map<std::string, std::string> AgentClient::fields(const std::string& command) {
    std::map<std::string, std::string> out;
    std::istringstream in(ok(command));
    for (std::string word; in >> word;)
        if (auto eq = word.find('='); eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
    return out;
}

int AgentClient::open(const std::string& name, const std::string& socket_dir) {
    std::string r = ok("open " + name + " " + socket_dir);
    auto p = r.find("self=");
    if (p == std::string::npos) return -1;
    return std::stoi(r.substr(p + 5));
}

bool AgentClient::sees_peer(int peer) {
    const std::string id = std::to_string(peer);
    return eventually([&] {
        std::string peers = " " + ok("peers") + " ";
        return peers.find(" " + id + " ") != std::string::npos;
    });
}

}  // namespace memdomain::test
