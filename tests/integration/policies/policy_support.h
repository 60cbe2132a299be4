// What the domain-policy tests share besides the client process they drive
// (AgentClient, agent_client.h): options for an in-process client, the
// server's view of a domain through control.sock, the 2 MiB hugepage pool's
// counters, and a fake NUMA topology for `memdomaind --numa-sysfs-root`.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent_client.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

namespace memdomain::test {

// Options for an in-process Domain::open through `server`'s sockets.
OpenOptions socket_options(const Server& server);

// control.sock "show NAME" / "list": the result object, or null with a test
// failure when the call failed.
nlohmann::json show(const Server& server, const std::string& name);
nlohmann::json list(const Server& server);
// The instances array of show NAME.
nlohmann::json instances(const Server& server, const std::string& name);
// The instance of show NAME whose key is `key` ("shared", "numa(node 1)",
// "local(pid 42)"), or null.
nlohmann::json instance(const Server& server, const std::string& name, const std::string& key);
std::string local_key(pid_t pid);

// The 2 MiB pool now; nullopt when the kernel has none.
struct PoolCounts {
    std::uint64_t total = 0, free = 0, reserved = 0;
};
std::optional<PoolCounts> pool_2m();
// Waits (up to `timeout`) until the 2 MiB pool's free count is
// `from.free + delta`. The pool is the machine's and other tests may move it,
// so take `from` right before the step whose pages are counted: the shorter
// the window, the less room for noise.
::testing::AssertionResult pool_free_moves(const PoolCounts& from, std::int64_t delta,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(2));
// A skip reason when the 2 MiB pool has fewer than `pages` available, else "".
std::string pool_short_reason(std::uint64_t pages);

// How many descriptors process `pid` holds of the segment memfds of domain
// `domain` (their /proc/PID/fd links read "/memfd:memdomain:<domain>#<i>").
// Unlike the pool's counters, nothing another test does changes this: once
// the server holds none and no client maps them, the pages are free.
int memfds_held(pid_t pid, const std::string& domain);

// A sysfs-shaped tree with devices/system/node/node<N>/cpulist for each
// entry of `nodes` (node id -> cpulist text), for --numa-sysfs-root.
class FakeNumaTree {
public:
    explicit FakeNumaTree(const std::map<int, std::string>& nodes);
    const std::string& root() const { return dir_.path(); }

private:
    TempDir dir_;
};

// "0x5a0000000000"
std::string hex(std::uint64_t v);
// Parses "0x..." (0 when malformed).
std::uint64_t parse_hex(const std::string& s);

}  // namespace memdomain::test
