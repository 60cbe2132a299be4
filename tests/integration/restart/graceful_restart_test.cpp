// A graceful restart (SIGTERM to memdomaind itself, as an upgrade does) keeps
// the memory: memdomaind shuts down cleanly, the keeper starts the next one
// with the stored fds. SIGTERM to the keeper is a stop: both exit 0 and the
// memory goes back to the hugepage pool.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "keeper_server.h"
#include "restart_helpers.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kPages = 2;  // Graceful is 4 MiB of 2 MiB pages

const char* kConfig =
    "memdomain Graceful {\n"
    "    size {\n"
    "        huge 2M = 4MB R/W\n"
    "    }\n"
    "}\n";

bool pool_has_room() {
    const auto avail = hugepages_available_2m();
    return avail && *avail >= kPages + 1;
}
#define SKIP_WITHOUT_HUGEPAGES()                                                                          \
    do {                                                                                                  \
        if (!pool_has_room())                                                                             \
            GTEST_SKIP() << "needs " << kPages + 1 << " available 2 MiB hugepages; the pool has "        \
                         << hugepages_available_2m().value_or(0)                                          \
                         << " (as root: echo 8 > /proc/sys/vm/nr_hugepages)";                             \
    } while (0)

TEST(KeeperGracefulRestart, SigtermToMemdomaindRestartsItWithTheMemoryKept) {
    SKIP_WITHOUT_HUGEPAGES();
    KeeperServer server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    // Attached through the restart, as a VM is during an upgrade.
    auto old_peer = open_domain(server.socket_dir(), "Graceful");
    ASSERT_TRUE(old_peer) << old_peer.error().message;
    write_data(*old_peer, "kept-across-an-upgrade");
    const pid_t before = server.daemon_pid();
    ASSERT_TRUE(server.signal_daemon(SIGTERM));
    const pid_t after = server.wait_ready(before);
    ASSERT_NE(after, 0) << server.log();

    const std::string log = server.log();
    EXPECT_NE(log.find("signal 15: shutting down"), std::string::npos) << log;
    EXPECT_NE(log.find("child " + std::to_string(before) + " is stopping"), std::string::npos)
        << "STOPPING=1 reached the keeper\n" << log;
    EXPECT_NE(log.find("child " + std::to_string(before) + " exited with status 0"), std::string::npos) << log;
    EXPECT_TRUE(eventually([&] {
        auto st = old_peer->refresh();
        return !st && st.error().sys == ECONNRESET;
    })) << "the old server hung up";

    PeerProcess fresh(server.socket_dir(), "Graceful", server.socket_dir() + "/fresh.log",
                      {"--write", "written-after-the-upgrade"});
    auto opened = fresh.line("open: ");
    ASSERT_TRUE(opened) << fresh.log() << "\n" << server.log();
    EXPECT_EQ(opened->rfind("ok generation=" + generation_hex(old_peer->generation()), 0), 0u) << *opened;
    EXPECT_EQ(fresh.line("read: "), "kept-across-an-upgrade") << fresh.log();
    ASSERT_TRUE(fresh.line("wrote: ")) << fresh.log();
    EXPECT_EQ(data_head(*old_peer), "written-after-the-upgrade") << "the old mapping is the same memory";
}

TEST(KeeperGracefulRestart, SigtermToTheKeeperStopsBothAndFreesTheMemory) {
    SKIP_WITHOUT_HUGEPAGES();
    const auto free_at_start = hugepages_free_2m();
    ASSERT_TRUE(free_at_start);
    KeeperServer server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    // The domain's pages are taken (or this test could not fail).
    EXPECT_TRUE(eventually([&] { return hugepages_free_2m().value_or(0) <= *free_at_start - kPages; }))
        << "free at start " << *free_at_start << ", now " << hugepages_free_2m().value_or(0);
    {
        auto peer = open_domain(server.socket_dir(), "Graceful");
        ASSERT_TRUE(peer) << peer.error().message;
        write_data(*peer, "about-to-be-freed");
    }  // a mapping of ours would keep the pages: unmapped here
    const pid_t daemon = server.daemon_pid();
    const std::string socket = server.socket("Graceful");

    auto status = server.stop();
    ASSERT_TRUE(status) << "the keeper did not exit\n" << server.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "keeper wait status " << *status;
    const std::string log = server.log();
    EXPECT_NE(log.find("child " + std::to_string(daemon) + " exited with status 0"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(socket)) << "memdomaind removes its sockets on SIGTERM";

    std::uint64_t free_now = 0;
    EXPECT_TRUE(eventually([&] {
        free_now = hugepages_free_2m().value_or(0);
        return free_now >= *free_at_start;
    })) << "2 MiB pages free at start " << *free_at_start << ", after the stop " << free_now;
}

}  // namespace
}  // namespace memdomain::test
