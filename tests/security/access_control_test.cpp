// Access control with real users: who may attach is decided from the
// kernel's credentials; read-only is enforced by the kernel (O_RDONLY fd);
// seals stop every ftruncate; hostile connection floods leave no trace.
// Users and a group are created with useradd/groupadd (root only).
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "host_peer.h"
#include "server_fixture.h"
#include "test_users.h"

using namespace memdomain;
using namespace std::chrono_literals;

namespace {

using test::kGroupReaders;
using test::kUserNone;
using test::kUserRo;
using test::kUserRw;

// The server's memory as root sees it (a host peer), to write patterns into.
struct RootView {
    explicit RootView(const std::string& path) {
        auto p = test::HostPeer::connect(path);
        EXPECT_TRUE(p) << p.error().message;
        if (p) {
            peer.emplace(std::move(p).value());
            data = reinterpret_cast<char*>(peer->data());
        }
    }
    std::optional<test::HostPeer> peer;
    char* data = nullptr;
};

class AccessControl : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create test users and switch to them";
        if (!test::ensure_test_users()) GTEST_SKIP() << "could not create the test users (useradd)";
        server_ = std::make_unique<test::Server>(test::guarded_domain_config(),
                                                 std::vector<std::string>{"--socket-mode", "0666"});
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        ::chmod(server_->socket_dir().c_str(), 0755);
    }
    // Runs the probe as `user` and returns its output once it exits.
    std::string probe(const std::string& user, const std::string& wait_for = "",
                      std::function<void(test::Process&)> while_running = nullptr) {
        std::vector<std::string> argv = {ATTACH_PROBE_PATH, server_->socket("Guarded"), "Guarded"};
        if (!wait_for.empty()) argv.insert(argv.end(), {"--wait-for", wait_for});
        test::Process::Options o;
        o.log_path = server_->socket_dir() + "/probe-" + user + ".log";
        o.user = user;
        test::Process p(argv, o);
        if (while_running) while_running(p);
        EXPECT_TRUE(p.wait(20s)) << "probe as " << user << " did not finish";
        return p.log();
    }
    std::unique_ptr<test::Server> server_;
};

bool has(const std::string& out, const std::string& line) { return out.find(line + "\n") != std::string::npos; }

}  // namespace

TEST_F(AccessControl, UserWithoutGrantIsRefusedAndLogged) {
    std::string out = probe(kUserNone);
    EXPECT_TRUE(has(out, "burst: refused (id -1)")) << out;
    EXPECT_TRUE(has(out, "after_refusal: closed")) << out;
    EXPECT_EQ(out.find("fd_flags"), std::string::npos) << "no memory fd may reach a refused client\n" << out;
    EXPECT_NE(server_->log().find("no access entry grants uid"), std::string::npos) << server_->log();
}

TEST_F(AccessControl, ReadOnlyUserGetsReadOnlyFdThatCannotBeUpgraded) {
    std::string out = probe(kUserRo);
    EXPECT_TRUE(has(out, "fd_flags: O_RDONLY")) << out;
    EXPECT_TRUE(has(out, "mmap_rw: EACCES")) << out;
    EXPECT_TRUE(has(out, "mmap_ro: ok")) << out;
    EXPECT_TRUE(has(out, "mprotect_rw: EACCES")) << out;
    EXPECT_FALSE(has(out, "write: ok")) << out;
    EXPECT_TRUE(has(out, "library: R/O")) << "the client library reports the access it got\n" << out;
}

TEST_F(AccessControl, ReadOnlyUserCannotReopenItsFdReadWrite) {
    // The memfd's own mode must not let /proc/self/fd/N be reopened O_RDWR.
    std::string out = probe(kUserRo);
    EXPECT_TRUE(has(out, "reopen_rw: EACCES")) << out;
}

TEST_F(AccessControl, RefusedUserGetsAClearLibraryError) {
    std::string out = probe(kUserNone);
    EXPECT_NE(out.find("library: error EACCES: memdomaind refused to attach this process to domain 'Guarded'"),
              std::string::npos)
        << out;
}

TEST_F(AccessControl, ReadOnlyUserSeesLiveData) {
    RootView root(server_->socket("Guarded"));
    ASSERT_TRUE(root.peer);
    std::strcpy(root.data, "first-pattern");
    std::string out = probe(kUserRo, "second-pattern", [&](test::Process& p) {
        for (int i = 0; i < 500 && p.log().find("read: ") == std::string::npos; ++i) std::this_thread::sleep_for(10ms);
        std::strcpy(root.data, "second-pattern");
    });
    EXPECT_TRUE(has(out, "read: first-pattern")) << out;
    EXPECT_TRUE(has(out, "live: second-pattern")) << out;
}

TEST_F(AccessControl, ReadWriteUserCanWriteAndOthersSeeIt) {
    RootView root(server_->socket("Guarded"));
    ASSERT_TRUE(root.peer);
    std::string out = probe(kUserRw);
    EXPECT_TRUE(has(out, "fd_flags: O_RDWR")) << out;
    EXPECT_TRUE(has(out, "mmap_rw: ok")) << out;
    EXPECT_TRUE(has(out, "write: ok")) << out;
    EXPECT_TRUE(has(out, "library: R/W")) << out;
    const std::string expect = "written-by-uid-";
    EXPECT_EQ(std::strncmp(root.data + 256, expect.c_str(), expect.size()), 0) << (root.data + 256);
}

TEST_F(AccessControl, FtruncateFailsForEveryoneAndOthersKeepWorking) {
    RootView root(server_->socket("Guarded"));
    ASSERT_TRUE(root.peer);
    std::strcpy(root.data, "still-here");
    for (const char* u : {kUserRw, kUserRo}) {
        std::string out = probe(u);
        EXPECT_FALSE(has(out, "ftruncate_shrink: ok")) << u << "\n" << out;
        EXPECT_FALSE(has(out, "ftruncate_grow: ok")) << u << "\n" << out;
    }
    EXPECT_NE(::ftruncate(root.peer->memory_fd(), 4096), 0) << "not even root may shrink a sealed segment";
    EXPECT_STREQ(root.data, "still-here") << "root's mapping survived every attempt (no SIGBUS)";
}

TEST_F(AccessControl, RefusedFloodLeavesNoFdsAndGrantedPeersStillAttach) {
    const int before = test::count_fds(server_->pid());
    for (int round = 0; round < 10; ++round) std::string out = probe(kUserNone);
    // The probes above each connected once; now hammer as an unprivileged user.
    std::vector<std::unique_ptr<test::Process>> floods;
    for (int i = 0; i < 4; ++i) {
        test::Process::Options o;
        o.user = kUserNone;
        floods.push_back(std::make_unique<test::Process>(
            std::vector<std::string>{"/bin/sh", "-c",
                                     "i=0; while [ $i -lt 100 ]; do " ATTACH_PROBE_PATH " " +
                                         server_->socket("Guarded") + " Guarded >/dev/null 2>&1; i=$((i+1)); done"},
            o));
    }
    for (auto& f : floods) EXPECT_TRUE(f->wait(120s));
    std::string ok = probe(kUserRw);
    EXPECT_TRUE(has(ok, "write: ok")) << ok;
    for (int i = 0; i < 500 && test::count_fds(server_->pid()) != before; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(test::count_fds(server_->pid()), before);
}

// Socket files carry the owner, group and mode the config asks for, and the
// kernel enforces them before the ACL is even consulted.
TEST(SocketOwnership, SocketFileHasConfiguredGroupAndModeAndOthersCannotConnect) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create test users and switch to them";
    test::ensure_test_users();  // a failure shows below, as a missing group or user
    const std::string cfg = std::string("memdomain Owned {\n"
                                        "    size {\n        huge 4K = 1MB R/W\n    }\n"
                                        "    access {\n        group ") + kGroupReaders + " = R/O\n    }\n"
                            "    socket {\n        group = " + kGroupReaders + "\n        mode = 0660\n    }\n}\n";
    test::Server server(cfg);
    ASSERT_TRUE(server.ok()) << server.start_error();
    ::chmod(server.socket_dir().c_str(), 0755);
    struct stat st {};
    ASSERT_EQ(::stat(server.socket("Owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_uid, 0u);
    group* g = ::getgrnam(kGroupReaders);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(st.st_gid, g->gr_gid);

    auto run = [&](const char* user) {
        test::Process::Options o;
        o.log_path = server.socket_dir() + "/probe-" + user + ".log";
        o.user = user;
        test::Process p({ATTACH_PROBE_PATH, server.socket("Owned"), "Owned"}, o);
        EXPECT_TRUE(p.wait(20s));
        return p.log();
    };
    std::string none = run(kUserNone);
    EXPECT_NE(none.find("connect: connect " + server.socket("Owned") + ": Permission denied"), std::string::npos)
        << none;
    std::string ro = run(kUserRo);
    EXPECT_NE(ro.find("fd_flags: O_RDONLY"), std::string::npos) << ro;
}
