// policy = static and policy = dynamic against a real memdomaind, watched
// through control.sock and the 2 MiB hugepage pool's counters: a static
// domain takes its pages at start-up; a dynamic one takes nothing until its
// first peer attaches, takes pages as they are written, survives a detach for
// its grace time (a peer coming back finds its data) and then gives every
// page back.
//
// The pool is the machine's: another test using hugepages at the same
// moment would move its counters. Each pool check compares with a reading
// taken right before the step it counts, and the server's own view (its
// memfds' resident bytes, the memfds it holds) is checked as well.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "memdomain/common/sizes.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::uint64_t kPages = 4;  // 8 MB of 2M pages

const std::string kStatic = R"(
memdomain St {
    policy = static
    size {
        huge 2M = 8MB R/W
    }
}
)";

constexpr int kGraceMs = 300;
const std::string kDynamic = R"(
memdomain Dy {
    policy = dynamic
    grace = 300ms
    size {
        huge 2M = 8MB R/W
    }
}
)";

std::string pool_text() {
    auto p = pool_2m();
    return p ? "free " + std::to_string(p->free) + ", reserved " + std::to_string(p->reserved) : "no pool";
}

TEST(PolicyStatic, TwoMegabyteDomainTakesItsPagesAtStartUp) {
    if (auto why = pool_short_reason(kPages); !why.empty()) GTEST_SKIP() << why;
    const auto before = pool_2m();
    ASSERT_TRUE(before);
    std::optional<PoolCounts> before_stop;
    {
        Server server(kStatic);
        ASSERT_TRUE(server.ok()) << server.start_error();
        EXPECT_TRUE(pool_free_moves(*before, -static_cast<std::int64_t>(kPages)));
        auto inst = instances(server, "St");
        ASSERT_EQ(inst.size(), 1u);
        EXPECT_EQ(inst[0].at("resident"), 8 * MiB);
        EXPECT_EQ(inst[0].at("peers"), 0);
        before_stop = pool_2m();
        ASSERT_TRUE(server.stop().has_value());
    }
    EXPECT_TRUE(pool_free_moves(*before_stop, static_cast<std::int64_t>(kPages)));
}

TEST(PolicyDynamic, NothingAtStartUpCreatedOnAttachKeptForGraceThenFreed) {
    if (auto why = pool_short_reason(kPages); !why.empty()) GTEST_SKIP() << why;
    const auto before = pool_2m();
    ASSERT_TRUE(before);
    Server server(kDynamic);
    ASSERT_TRUE(server.ok()) << server.start_error();

    // Start-up: listed, but no instance and no page taken or reserved.
    auto l = list(server);
    ASSERT_EQ(l.at("domains").size(), 1u);
    EXPECT_EQ(l.at("domains")[0].at("policy"), "dynamic");
    EXPECT_EQ(l.at("domains")[0].at("instances"), 0);
    EXPECT_EQ(l.at("domains")[0].at("resident"), 0);
    EXPECT_TRUE(instances(server, "Dy").empty());
    EXPECT_EQ(show(server, "Dy").at("grace_ms"), kGraceMs);
    EXPECT_EQ(memfds_held(server.pid(), "Dy"), 0) << "no memory exists yet";
    // The read-only namespace entry (a link to the server's fd of the
    // memory) exists only while an instance does.
    const std::string ns = show(server, "Dy").at("segments")[0].at("namespace");
    ASSERT_FALSE(ns.empty());
    EXPECT_FALSE(std::filesystem::is_symlink(ns)) << ns;
    EXPECT_TRUE(pool_free_moves(*before, 0));
    EXPECT_EQ(pool_2m()->reserved, before->reserved) << pool_text();

    // The first attach creates the instance, without faulting its data.
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    auto fa = a.fields("open Dy " + server.socket_dir());
    auto inst = instances(server, "Dy");
    ASSERT_EQ(inst.size(), 1u);
    EXPECT_EQ(hex(inst[0].at("generation").get<std::uint64_t>()), fa["gen"]);
    EXPECT_EQ(inst[0].at("peers"), 1);
    EXPECT_TRUE(std::filesystem::is_symlink(ns)) << ns;
    const std::uint64_t header_pages = inst[0].at("resident").get<std::uint64_t>() / (2 * MiB);
    EXPECT_LE(header_pages, 1u) << "at most the header's page is faulted";

    // Writing every page takes the rest from the pool.
    const auto before_fill = pool_2m();
    a.ok("fill 0 171");
    EXPECT_EQ(instances(server, "Dy")[0].at("resident"), 8 * MiB);
    EXPECT_TRUE(pool_free_moves(*before_fill, -static_cast<std::int64_t>(kPages - header_pages)));

    // Detach: the grace time starts, the instance stays.
    a.ok("close");
    ASSERT_TRUE(eventually([&] {
        auto i = instance(server, "Dy", "shared");
        return i.is_object() && i.at("peers") == 0 && i.at("grace_pending") == true;
    })) << show(server, "Dy").dump(2);

    // Another process attaching within the grace time finds the data.
    auto fb = b.fields("open Dy " + server.socket_dir());
    EXPECT_EQ(fb["gen"], fa["gen"]);
    EXPECT_EQ(b.ok("check 0 171"), "same");
    auto kept = instance(server, "Dy", "shared");
    ASSERT_TRUE(kept.is_object());
    EXPECT_EQ(kept.at("grace_pending"), false);

    // The last detach; after the grace time the instance and its pages go.
    const auto before_close = pool_2m();
    const auto left = steady_clock::now();
    b.ok("close");
    ASSERT_TRUE(eventually([&] { return instances(server, "Dy").empty(); }, milliseconds(kGraceMs + 1500)))
        << show(server, "Dy").dump(2);
    EXPECT_GE(steady_clock::now() - left, milliseconds(kGraceMs)) << "freed before its grace time";
    EXPECT_TRUE(eventually([&] { return memfds_held(server.pid(), "Dy") == 0; }));
    EXPECT_FALSE(std::filesystem::is_symlink(ns)) << "a namespace entry outlived its instance: " << ns;
    EXPECT_TRUE(pool_free_moves(*before_close, static_cast<std::int64_t>(kPages)));
}

TEST(PolicyDynamic, AttachAfterTheGraceTimeGetsANewInstance) {
    Server server(R"(
memdomain Dy4 {
    policy = dynamic
    grace = 100ms
    size {
        huge 4K = 64K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    auto first = a.fields("open Dy4 " + server.socket_dir());
    a.ok("seg_write 0 0 gone-with-the-instance");
    a.ok("close");
    ASSERT_TRUE(eventually([&] { return instances(server, "Dy4").empty(); })) << show(server, "Dy4").dump(2);
    auto second = a.fields("open Dy4 " + server.socket_dir());
    ASSERT_FALSE(second["gen"].empty());
    EXPECT_NE(second["gen"], first["gen"]);
    EXPECT_NE(a.ok("seg_read 0 0 22"), "gone-with-the-instance");
}

}  // namespace
}  // namespace memdomain::test
