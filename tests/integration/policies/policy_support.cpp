#include "policy_support.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control_connection.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test {

std::string policy_agent_path() { return POLICY_AGENT_PATH; }

PolicyAgent::PolicyAgent(const std::string& log_path) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        ADD_FAILURE() << "socketpair failed";
        return;
    }
    sock_.reset(sv[0]);
    Process::Options o;
    o.log_path = log_path;
    o.pass_fd = sv[1];
    proc_ = Process({policy_agent_path(), "--control-fd", std::to_string(sv[1])}, o);
    ::close(sv[1]);
}

std::string PolicyAgent::call(const std::string& command, std::chrono::milliseconds timeout) {
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

std::string PolicyAgent::ok(const std::string& command) {
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

std::map<std::string, std::string> PolicyAgent::fields(const std::string& command) {
    std::map<std::string, std::string> out;
    std::istringstream in(ok(command));
    for (std::string word; in >> word;)
        if (auto eq = word.find('='); eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
    return out;
}

namespace {

nlohmann::json control_result(const Server& server, const std::string& verb, const std::string& name) {
    auto conn = ControlConnection::connect(server.socket_dir());
    if (!conn) {
        ADD_FAILURE() << "control.sock: " << conn.error().message;
        return nullptr;
    }
    auto r = conn->call(verb, name);
    if (!r) {
        ADD_FAILURE() << verb << " " << name << ": " << r.error().message;
        return nullptr;
    }
    if (!r->value("ok", false)) {
        ADD_FAILURE() << verb << " " << name << ": " << r->dump();
        return nullptr;
    }
    return r->at("result");
}

}  // namespace

nlohmann::json show(const Server& server, const std::string& name) { return control_result(server, "show", name); }
nlohmann::json list(const Server& server) { return control_result(server, "list", ""); }

nlohmann::json instances(const Server& server, const std::string& name) {
    auto s = show(server, name);
    return s.is_object() ? s.at("instances") : nlohmann::json::array();
}

nlohmann::json instance(const Server& server, const std::string& name, const std::string& key) {
    for (const auto& i : instances(server, name))
        if (i.at("key") == key) return i;
    return nullptr;
}

std::string local_key(pid_t pid) { return "local(pid " + std::to_string(pid) + ")"; }

std::optional<PoolCounts> pool_2m() {
    auto p = sys::hugepage_pool(2 * MiB);
    if (!p) return std::nullopt;
    return PoolCounts{p->total, p->free, p->reserved};
}

::testing::AssertionResult pool_free_moves(const PoolCounts& from, std::int64_t delta,
                                           std::chrono::milliseconds timeout) {
    const auto want = static_cast<std::int64_t>(from.free) + delta;
    if (eventually([&] { auto p = pool_2m(); return p && static_cast<std::int64_t>(p->free) == want; }, timeout))
        return ::testing::AssertionSuccess();
    auto p = pool_2m();
    return ::testing::AssertionFailure() << "2 MiB pool: free " << (p ? std::to_string(p->free) : "?") << ", reserved "
                                         << (p ? std::to_string(p->reserved) : "?") << "; expected free " << want
                                         << " (" << from.free << (delta < 0 ? " - " : " + ")
                                         << (delta < 0 ? -delta : delta) << ")";
}

std::string pool_short_reason(std::uint64_t pages) {
    auto p = sys::hugepage_pool(2 * MiB);
    if (!p) return "this kernel has no 2 MiB hugepage pool: " + p.error().message;
    if (p->available() >= pages) return "";
    return "needs " + std::to_string(pages) + " free 2 MiB hugepages, the pool has " + std::to_string(p->available()) +
           " available of " + std::to_string(p->total) + " (scripts/setup-host.sh --hugepages N)";
}

int memfds_held(pid_t pid, const std::string& domain) {
    const std::string needle = "memfd:memdomain:" + domain + "#";
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        std::error_code lec;
        const auto target = std::filesystem::read_symlink(e.path(), lec).string();
        if (!lec && target.find(needle) != std::string::npos) ++n;
    }
    return n;
}

FakeNumaTree::FakeNumaTree(const std::map<int, std::string>& nodes) {
    for (const auto& [id, cpus] : nodes) {
        const std::string dir = dir_.path() + "/devices/system/node/node" + std::to_string(id);
        std::filesystem::create_directories(dir);
        std::ofstream(dir + "/cpulist") << cpus << "\n";
    }
}

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::uint64_t parse_hex(const std::string& s) {
    std::uint64_t v = 0;
    return std::sscanf(s.c_str(), "0x%" SCNx64, &v) == 1 ? v : 0;
}

}  // namespace memdomain::test
