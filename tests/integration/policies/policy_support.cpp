#include "policy_support.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control_connection.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test {

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

OpenOptions socket_options(const Server& server) {
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = server.socket_dir();
    return o;
}

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
