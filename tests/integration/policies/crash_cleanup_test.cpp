// A peer killed with SIGKILL says nothing; the server learns of it from the
// socket hang-up and must clean up at once: the peer leaves the instance, a
// killed process's local instance is freed, and a dynamic instance follows
// its grace rule (freed only after the grace time).
#include <gtest/gtest.h>

#include "memdomain/common/sizes.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(CrashCleanup, KilledPeerIsRemovedAtOnce) {
    Server server(R"(
memdomain Sh {
    size {
        huge 4K = 64K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    a.ok("open Sh " + server.socket_dir());
    b.ok("open Sh " + server.socket_dir());
    ASSERT_EQ(instances(server, "Sh")[0].at("peers"), 2);
    a.process().kill();
    EXPECT_TRUE(eventually([&] { return instances(server, "Sh")[0].at("peers") == 1; }, milliseconds(1000)))
        << show(server, "Sh").dump(2);
    // ... and announced: the survivor's peer list empties.
    EXPECT_TRUE(eventually([&] { return b.ok("peers").empty(); }, milliseconds(1000)));
    b.process().kill();
    EXPECT_TRUE(eventually([&] { return list(server).at("domains")[0].at("peers") == 0; }, milliseconds(1000)))
        << show(server, "Sh").dump(2);
    // Static and shared: the instance (and its generation) outlives its peers.
    EXPECT_EQ(instances(server, "Sh").size(), 1u);
}

TEST(CrashCleanup, KilledProcessesLocalInstanceIsFreed) {
    Server server(R"(
memdomain Lo {
    type = local
    size {
        huge 4K = 64K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    a.ok("open Lo " + server.socket_dir());
    a.ok("open Lo " + server.socket_dir());  // two connections of one process
    b.ok("open Lo " + server.socket_dir());
    const pid_t pa = a.pid();
    ASSERT_TRUE(instance(server, "Lo", local_key(pa)).is_object());
    a.process().kill();
    EXPECT_TRUE(eventually([&] { return instance(server, "Lo", local_key(pa)).is_null(); }, milliseconds(1000)))
        << show(server, "Lo").dump(2);
    EXPECT_EQ(instance(server, "Lo", local_key(b.pid())).at("peers"), 1);
}

TEST(CrashCleanup, KilledProcessesTwoMegabyteLocalInstanceGivesItsPagesBack) {
    if (auto why = pool_short_reason(2); !why.empty()) GTEST_SKIP() << why;
    Server server(R"(
memdomain Lo2 {
    type = local
    size {
        huge 2M = 4MB R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    const auto before_open = pool_2m();
    a.ok("open Lo2 " + server.socket_dir());
    EXPECT_TRUE(pool_free_moves(*before_open, -2));
    const auto before_kill = pool_2m();
    a.process().kill();
    EXPECT_TRUE(eventually([&] { return instances(server, "Lo2").empty(); }, milliseconds(1000)));
    EXPECT_TRUE(eventually([&] { return memfds_held(server.pid(), "Lo2") == 0; }));
    EXPECT_TRUE(pool_free_moves(*before_kill, 2));
}

TEST(CrashCleanup, KilledPeersDynamicInstanceIsFreedOnlyAfterItsGraceTime) {
    constexpr int kGraceMs = 400;
    Server server(R"(
memdomain Dy {
    policy = dynamic
    grace = 400ms
    size {
        huge 4K = 64K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    a.ok("open Dy " + server.socket_dir());
    const auto killed = steady_clock::now();
    a.process().kill();
    // Gone as a peer at once, but the instance waits for the grace time.
    ASSERT_TRUE(eventually(
        [&] {
            auto i = instance(server, "Dy", "shared");
            return i.is_object() && i.at("peers") == 0 && i.at("grace_pending") == true;
        },
        milliseconds(1000)))
        << show(server, "Dy").dump(2);
    ASSERT_TRUE(eventually([&] { return instances(server, "Dy").empty(); }, milliseconds(kGraceMs + 1500)))
        << show(server, "Dy").dump(2);
    EXPECT_GE(steady_clock::now() - killed, milliseconds(kGraceMs)) << "freed before its grace time";
}

}  // namespace
}  // namespace memdomain::test
