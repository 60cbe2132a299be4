// kill -9 of memdomaind under memdomain-keeper loses no domain memory: the
// keeper holds the segment memfds memdomaind stored (FDSTORE=1) and hands
// them to the next memdomaind (LISTEN_FDS), which serves the same memory
// again: same generation, same bytes, no second copy in the hugepage pool.
// A peer that was attached keeps its mapping (its connection is gone) and
// sees what new peers write. (What the control plane changed:
// runtime_restart_test.cpp.)
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "keeper_server.h"
#include "restart_helpers.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kStaticPages = 2;  // Static is 4 MiB of 2 MiB pages

const char* kConfig =
    "memdomain Static {\n"
    "    vectors = 2\n"
    "    size {\n"
    "        huge 2M = 4MB R/W\n"
    "    }\n"
    "}\n"
    "memdomain Dyn {\n"
    "    policy = dynamic\n"
    "    grace = 30s\n"
    "    size {\n"
    "        huge 4K = 1MB R/W\n"
    "    }\n"
    "}\n"
    "memdomain ZeroGrace {\n"
    "    policy = dynamic\n"
    "    grace = 0s\n"
    "    size {\n"
    "        huge 4K = 1MB R/W\n"
    "    }\n"
    "}\n"
    "memdomain ShortGrace {\n"
    "    policy = dynamic\n"
    "    grace = 300ms\n"
    "    size {\n"
    "        huge 4K = 1MB R/W\n"
    "    }\n"
    "}\n";

// The keeper's fd count once it stopped moving (a message being handled
// holds its fds for a moment: the new md.state arrives before the old one is
// closed).
int settled_fd_count(pid_t pid) {
    int last = count_fds(pid), same = 0;
    for (int i = 0; i < 200 && same < 5; ++i) {
        ::usleep(20000);
        const int now = count_fds(pid);
        same = now == last ? same + 1 : 0;
        last = now;
    }
    return last;
}

class KeeperCrash : public ::testing::Test {
protected:
    void SetUp() override {
        const auto avail = hugepages_available_2m();
        if (!avail || *avail < kStaticPages + 1)
            GTEST_SKIP() << "needs " << kStaticPages + 1 << " available 2 MiB hugepages; the pool has "
                         << (avail ? std::to_string(*avail) : "none")
                         << " (as root: echo 8 > /proc/sys/vm/nr_hugepages)";
        server_ = std::make_unique<KeeperServer>(kConfig);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }

    // kill -9 the current memdomaind and wait for the keeper's next one.
    void crash_and_wait() { ASSERT_TRUE(kill9_and_wait(*server_)); }

    std::string peer_log(const std::string& name) const { return server_->socket_dir() + "/" + name + ".log"; }

    std::unique_ptr<KeeperServer> server_;
};

TEST_F(KeeperCrash, ControlStatsNamesTheDaemonOfTheReadyLine) {
    const CtlResult r = run_ctl(server_->socket_dir(), {"--json", "stats"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.output;
    EXPECT_EQ(j.value("pid", 0), server_->daemon_pid());
    EXPECT_TRUE(server_->is_keeper_child(server_->daemon_pid()));
}

TEST_F(KeeperCrash, StaticHugepageDomainKeepsItsMemoryAcrossKill9) {
    auto old_peer = open_domain(server_->socket_dir(), "Static");
    ASSERT_TRUE(old_peer) << old_peer.error().message << "\n" << server_->log();
    write_data(*old_peer, "static-pattern-before-the-crash");
    const std::uint64_t generation = old_peer->generation();
    const auto free_before = hugepages_free_2m();
    ASSERT_TRUE(free_before);

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    EXPECT_NE(server_->log().find("domain Static: adopted 1 instance(s) from the fd store"), std::string::npos)
        << server_->log();

    // The old peer's doorbell connection died with the old server; its
    // mapping did not.
    EXPECT_TRUE(eventually([&] {
        auto st = old_peer->refresh();
        return !st && st.error().sys == ECONNRESET;
    })) << "the old peer should see the server's hang-up";
    EXPECT_EQ(data_head(*old_peer), "static-pattern-before-the-crash");

    PeerProcess fresh(server_->socket_dir(), "Static", peer_log("fresh"), {"--write", "written-by-the-new-peer"});
    auto opened = fresh.line("open: ");
    ASSERT_TRUE(opened) << fresh.log() << "\n" << server_->log();
    EXPECT_EQ(opened->rfind("ok generation=" + generation_hex(generation) + " access=R/W", 0), 0u)
        << *opened << "\nexpected the same instance (generation " << generation_hex(generation) << ")";
    EXPECT_EQ(fresh.line("read: "), "static-pattern-before-the-crash") << fresh.log();
    ASSERT_EQ(fresh.line("wrote: "), "written-by-the-new-peer") << fresh.log();
    EXPECT_EQ(data_head(*old_peer), "written-by-the-new-peer") << "the old mapping is the same memory";

    // No second copy: the pool lost nothing across the restart. Other
    // programs may use the pool for a moment, so give it time to settle.
    std::uint64_t free_after = 0;
    EXPECT_TRUE(eventually([&] {
        free_after = hugepages_free_2m().value_or(0);
        return free_after == *free_before;
    })) << "2 MiB pages free before the crash " << *free_before << ", after " << free_after;
}

// A crash loop: every restart re-stores the same memfds (replacing, not
// adding), so neither the keeper's fds nor the pool's pages grow.
TEST_F(KeeperCrash, RepeatedCrashesKeepOneCopyAndLeakNoFds) {
    auto peer = open_domain(server_->socket_dir(), "Static");
    ASSERT_TRUE(peer) << peer.error().message;
    write_data(*peer, "survives-three-crashes");
    ASSERT_NO_FATAL_FAILURE(crash_and_wait());  // the peer's own connection is gone from here on
    const int keeper_fds = settled_fd_count(server_->keeper_pid());
    const auto free_before = hugepages_free_2m();
    ASSERT_TRUE(free_before);
    for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(crash_and_wait());

    const int keeper_fds_after = settled_fd_count(server_->keeper_pid());
    EXPECT_EQ(keeper_fds_after, keeper_fds) << "the keeper's fds before and after three more crashes";
    EXPECT_TRUE(eventually([&] { return hugepages_free_2m() == free_before; }))
        << "2 MiB pages free " << *free_before << " before, " << hugepages_free_2m().value_or(0) << " after";
    auto fresh = open_domain(server_->socket_dir(), "Static");
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(fresh->generation(), peer->generation());
    EXPECT_EQ(data_head(*fresh), "survives-three-crashes");
}

TEST_F(KeeperCrash, DynamicInstanceInUseSurvivesKill9) {
    auto old_peer = open_domain(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(old_peer) << old_peer.error().message << "\n" << server_->log();
    write_data(*old_peer, "dynamic-pattern");
    const std::uint64_t generation = old_peer->generation();

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());

    PeerProcess fresh(server_->socket_dir(), "Dyn", peer_log("fresh"));
    auto opened = fresh.line("open: ");
    ASSERT_TRUE(opened) << fresh.log() << "\n" << server_->log();
    EXPECT_EQ(opened->rfind("ok generation=" + generation_hex(generation), 0), 0u) << *opened;
    EXPECT_EQ(fresh.line("read: "), "dynamic-pattern") << fresh.log();
    auto shown = ctl_show(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(shown);
    ASSERT_EQ((*shown)["instances"].size(), 1u) << shown->dump(2);
    EXPECT_EQ((*shown)["instances"][0]["generation"].get<std::uint64_t>(), generation);
}

// The server clears the presence table of adopted memory: the peers in it
// were attached to the old process, and a guest reading the bitmap must not
// count them.
TEST_F(KeeperCrash, PresenceOfPeersFromBeforeTheCrashIsCleared) {
    auto old_peer = open_domain(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(old_peer) << old_peer.error().message;
    auto with_one = old_peer->header();
    ASSERT_TRUE(with_one);
    ASSERT_EQ(with_one->peer_count, 1u);

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    auto fresh = open_domain(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(fresh) << fresh.error().message << "\n" << server_->log();
    auto h = fresh->header();
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(h->peer_count, 1u) << "only the new peer is attached";
    EXPECT_TRUE(header_is_present(&*h, fresh->self()));
    EXPECT_TRUE(fresh->peers().empty());
}

// An adopted dynamic instance that no peer comes back to is freed after its
// grace time, as if its last peer had just left.
// Peers of before the crash (QEMU keeps its mapping and never reconnects)
// are unknown to the new process, so an adopted dynamic instance is not put
// on its grace timer: it is kept until a peer attaches and leaves again.
TEST_F(KeeperCrash, AdoptedDynamicInstanceIsKeptUntilAPeerAttachesAndLeavesAgain) {
    {
        auto peer = open_domain(server_->socket_dir(), "ShortGrace");
        ASSERT_TRUE(peer) << peer.error().message;
        write_data(*peer, "short-lived");
        ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    }
    auto instances = [&] {
        auto shown = ctl_show(server_->socket_dir(), "ShortGrace");
        return shown ? (*shown)["instances"].size() : 99u;
    };
    EXPECT_NE(server_->log().find("adopted dynamic instance shared is kept until a peer attaches and leaves again"),
              std::string::npos)
        << server_->log();
    // Well past the grace time: still there, data intact.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_EQ(instances(), 1u) << server_->log();
    {
        auto again = open_domain(server_->socket_dir(), "ShortGrace");
        ASSERT_TRUE(again) << again.error().message;
        EXPECT_EQ(data_head(*again), "short-lived");
    }
    // Its last peer left: now the grace rule applies.
    EXPECT_TRUE(eventually([&] { return instances() == 0; })) << server_->log();
    EXPECT_NE(server_->log().find("domain ShortGrace: instance shared freed (1M back): no peer came back"),
              std::string::npos)
        << server_->log();
    auto fresh = open_domain(server_->socket_dir(), "ShortGrace");
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(data_head(*fresh), "") << "a new instance, not the freed one";
}

// grace = 0: the adopted instance must not be freed while the domain starts
// (it is kept, as above), and starting must not take the server down.
TEST_F(KeeperCrash, AdoptingAGraceZeroInstanceNobodyIsAttachedToDoesNotCrashTheServer) {
    {
        auto peer = open_domain(server_->socket_dir(), "ZeroGrace");
        ASSERT_TRUE(peer) << peer.error().message;
        ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    }
    const std::string log = server_->log();
    EXPECT_EQ(log.find("killed by signal 11"), std::string::npos) << "memdomaind crashed while starting\n" << log;
    std::size_t starts = 0;
    for (auto pos = log.find("started child "); pos != std::string::npos; pos = log.find("started child ", pos + 1))
        ++starts;
    EXPECT_EQ(starts, 2u) << "one start, one restart after the kill -9\n" << log;
    EXPECT_TRUE(server_->is_keeper_child(server_->daemon_pid()));
    EXPECT_TRUE(open_domain(server_->socket_dir(), "Static")) << "the server serves";
    auto shown = ctl_show(server_->socket_dir(), "ZeroGrace");
    ASSERT_TRUE(shown);
    EXPECT_EQ((*shown)["instances"].size(), 1u) << "kept: a peer of before the crash may still use it";
}

}  // namespace
}  // namespace memdomain::test
