// type = shared and type = local against a real memdomaind, with every
// client a separate process (md_peer_agent): a shared domain is one memory
// for everyone; a local domain gives each process its own instance (keyed by
// pid, so one process opening twice gets the same one), freed the moment
// that process is gone.
#include <gtest/gtest.h>

#include "memdomain/common/sizes.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

const std::string kShared = R"(
memdomain Sh {
    type = shared
    size {
        huge 4K = 64K R/W
    }
}
)";

const std::string kLocal = R"(
memdomain Lo {
    type = local
    size {
        huge 4K = 64K R/W
    }
}
)";

// 2 pages of 2M: a local static instance is prefaulted when its process attaches.
const std::string kLocal2M = R"(
memdomain Lo2 {
    type = local
    size {
        huge 2M = 4MB R/W
    }
}
)";

TEST(TypeShared, TwoProcessesSeeTheSameMemoryAndGeneration) {
    Server server(kShared);
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    auto fa = a.fields("open Sh " + server.socket_dir());
    auto fb = b.fields("open Sh " + server.socket_dir());
    ASSERT_FALSE(fa["gen"].empty());
    EXPECT_EQ(fa["gen"], fb["gen"]);
    a.ok("fill 0 90");  // every byte of the data area
    EXPECT_EQ(b.ok("check 0 90"), "same");
    a.ok("seg_write 0 100 written-by-a");
    EXPECT_EQ(b.ok("seg_read 0 100 12"), "written-by-a");
    b.ok("seg_write 0 40000 and-by-b");
    EXPECT_EQ(a.ok("seg_read 0 40000 8"), "and-by-b");
    // The server's one instance is the one both see.
    auto inst = instances(server, "Sh");
    ASSERT_EQ(inst.size(), 1u) << inst.dump();
    EXPECT_EQ(inst[0].at("key"), "shared");
    EXPECT_EQ(hex(inst[0].at("generation").get<std::uint64_t>()), fa["gen"]);
    EXPECT_EQ(inst[0].at("peers"), 2);
}

TEST(TypeLocal, TwoProcessesGetPrivateInstances) {
    Server server(kLocal);
    ASSERT_TRUE(server.ok()) << server.start_error();
    // Nothing exists before a process attaches.
    EXPECT_TRUE(instances(server, "Lo").empty());
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    auto fa = a.fields("open Lo " + server.socket_dir());
    auto fb = b.fields("open Lo " + server.socket_dir());
    ASSERT_FALSE(fa["gen"].empty());
    ASSERT_FALSE(fb["gen"].empty());
    EXPECT_NE(fa["gen"], fb["gen"]);
    EXPECT_EQ(a.fields("seg 0")["kind"], "local");
    a.ok("seg_write 0 0 private-to-a");
    EXPECT_NE(b.ok("seg_read 0 0 12"), "private-to-a");
    b.ok("seg_write 0 0 private-to-b");
    EXPECT_EQ(a.ok("seg_read 0 0 12"), "private-to-a");

    auto ia = instance(server, "Lo", local_key(a.pid()));
    auto ib = instance(server, "Lo", local_key(b.pid()));
    ASSERT_TRUE(ia.is_object() && ib.is_object()) << show(server, "Lo").dump(2);
    EXPECT_EQ(hex(ia.at("generation").get<std::uint64_t>()), fa["gen"]);
    EXPECT_EQ(hex(ib.at("generation").get<std::uint64_t>()), fb["gen"]);
    EXPECT_EQ(ia.at("owner_pid"), a.pid());
    EXPECT_EQ(ia.at("peers"), 1);
    EXPECT_EQ(ib.at("peers"), 1);
}

TEST(TypeLocal, OneProcessOpeningTwiceGetsItsOneInstance) {
    Server server(kLocal);
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    auto first = a.fields("open Lo " + server.socket_dir());
    auto second = a.fields("open Lo " + server.socket_dir());
    ASSERT_FALSE(first["gen"].empty());
    EXPECT_EQ(first["gen"], second["gen"]);
    EXPECT_NE(first["self"], second["self"]);
    a.ok("seg_write 0 10 via-second");  // the latest attachment
    auto inst = instances(server, "Lo");
    ASSERT_EQ(inst.size(), 1u) << inst.dump(2);
    EXPECT_EQ(inst[0].at("key"), local_key(a.pid()));
    EXPECT_EQ(inst[0].at("peers"), 2);

    a.ok("close");  // the second goes; the first still holds the instance
    EXPECT_EQ(a.ok("seg_read 0 10 10"), "via-second");
    ASSERT_TRUE(eventually([&] {
        auto i = instance(server, "Lo", local_key(a.pid()));
        return i.is_object() && i.at("peers") == 1;
    })) << show(server, "Lo").dump(2);

    a.ok("close");  // the last connection of the process: freed, process alive
    EXPECT_TRUE(eventually([&] { return instances(server, "Lo").empty(); }, std::chrono::seconds(1)))
        << show(server, "Lo").dump(2);
    EXPECT_TRUE(a.process().running());
}

TEST(TypeLocal, InstanceIsFreedTheMomentItsProcessExits) {
    Server server(kLocal);
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    a.ok("open Lo " + server.socket_dir());
    b.ok("open Lo " + server.socket_dir());
    const pid_t pa = a.pid();
    ASSERT_TRUE(instance(server, "Lo", local_key(pa)).is_object());
    a.ok("quit");
    ASSERT_TRUE(a.process().wait(std::chrono::seconds(2)).has_value());
    EXPECT_TRUE(eventually([&] { return instance(server, "Lo", local_key(pa)).is_null(); }, std::chrono::seconds(1)))
        << show(server, "Lo").dump(2);
    // The other process's instance is untouched.
    EXPECT_TRUE(instance(server, "Lo", local_key(b.pid())).is_object());
}

TEST(TypeLocal, TwoMegabyteInstanceReturnsItsPagesToThePoolWhenItsProcessExits) {
    constexpr std::uint64_t kPages = 2;
    if (auto why = pool_short_reason(kPages); !why.empty()) GTEST_SKIP() << why;
    Server server(kLocal2M);
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log");
    EXPECT_EQ(memfds_held(server.pid(), "Lo2"), 0);
    const auto before_open = pool_2m();
    ASSERT_TRUE(before_open);
    a.ok("open Lo2 " + server.socket_dir());
    // Static: the process's instance was prefaulted when it attached.
    EXPECT_TRUE(pool_free_moves(*before_open, -static_cast<std::int64_t>(kPages)));
    EXPECT_GT(memfds_held(server.pid(), "Lo2"), 0);
    EXPECT_EQ(instance(server, "Lo2", local_key(a.pid())).at("resident"), 4 * MiB);
    EXPECT_EQ(a.fields("seg 0")["page"], std::to_string(2 * MiB));
    const auto before_exit = pool_2m();
    a.ok("quit");
    ASSERT_TRUE(a.process().wait(std::chrono::seconds(2)).has_value());
    EXPECT_TRUE(eventually([&] { return instances(server, "Lo2").empty(); }, std::chrono::seconds(1)))
        << show(server, "Lo2").dump(2);
    // The server let go of the memory (nothing else held it) ...
    EXPECT_TRUE(eventually([&] { return memfds_held(server.pid(), "Lo2") == 0; }));
    // ... and the pool has its pages back.
    EXPECT_TRUE(pool_free_moves(*before_exit, static_cast<std::int64_t>(kPages)));
}

TEST(TypeLocal, MultiSegmentDomainGivesEachProcessAllSegmentsOfItsOwnInstance) {
    Server server(R"(
memdomain LoMulti {
    type = local
    size {
        huge 4K = 64K R/W
        huge 4K = 32K R/W
    }
}
)");
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    auto fa = a.fields("open LoMulti " + server.socket_dir());
    auto fb = b.fields("open LoMulti " + server.socket_dir());
    ASSERT_EQ(fa["segments"], "2");
    ASSERT_EQ(fb["segments"], "2");
    EXPECT_NE(fa["gen"], fb["gen"]);
    a.ok("seg_write 1 0 a-seg1");
    EXPECT_NE(b.ok("seg_read 1 0 6"), "a-seg1");
    auto ia = instance(server, "LoMulti", local_key(a.pid()));
    ASSERT_TRUE(ia.is_object()) << show(server, "LoMulti").dump(2);
    ASSERT_EQ(ia.at("segments").size(), 2u);
    EXPECT_EQ(ia.at("segments")[1].at("peers").size(), 1u);
    EXPECT_EQ(ia.at("segments")[1].at("peers")[0].at("pid"), a.pid());
    EXPECT_EQ(instances(server, "LoMulti").size(), 2u);
    a.ok("close");
    EXPECT_TRUE(eventually([&] { return instance(server, "LoMulti", local_key(a.pid())).is_null(); },
                           std::chrono::seconds(1)))
        << show(server, "LoMulti").dump(2);
}

}  // namespace
}  // namespace memdomain::test
