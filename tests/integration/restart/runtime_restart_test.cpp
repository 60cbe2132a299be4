// What the control plane changed at runtime survives a kill -9 of memdomaind
// under memdomain-keeper: the server keeps it in a state memfd in the fd
// store ("md.state") next to the memory. A grant is remembered until a reload
// resets the domain to the file, a destroyed domain does not come back, a
// created one comes back with its access rules and its memory.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "keeper_server.h"
#include "restart_helpers.h"

namespace memdomain::test {
namespace {

const char* kConfig =
    "memdomain Dyn {\n"
    "    policy = dynamic\n"
    "    grace = 30s\n"
    "    size {\n"
    "        huge 4K = 1MB R/W\n"
    "    }\n"
    "}\n";

class KeeperRuntimeChanges : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<KeeperServer>(kConfig);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    void crash_and_wait() { ASSERT_TRUE(kill9_and_wait(*server_)); }
    std::string peer_log(const std::string& name) const { return server_->socket_dir() + "/" + name + ".log"; }

    std::unique_ptr<KeeperServer> server_;
};

// An access change made at runtime is remembered across a crash; a reload
// (SIGHUP, forwarded by the keeper) resets the domain to the file's rules.
TEST_F(KeeperRuntimeChanges, RuntimeGrantSurvivesKill9AndAReloadResetsIt) {
    ASSERT_NE(::getpwnam("daemon"), nullptr) << "Debian always has the user 'daemon' to grant access to";
    const CtlResult granted = run_ctl(server_->socket_dir(), {"grant", "Dyn", "user", "daemon", "R/O"});
    ASSERT_EQ(granted.exit_code, 0) << granted.output;
    auto before = ctl_show(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(before);
    ASSERT_TRUE((*before)["acl"]["explicit"].get<bool>()) << before->dump(2);

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    auto after = ctl_show(server_->socket_dir(), "Dyn");
    ASSERT_TRUE(after) << server_->log();
    EXPECT_EQ((*after)["acl"], (*before)["acl"]) << server_->log();

    const pid_t daemon = server_->daemon_pid();
    ::kill(server_->keeper_pid(), SIGHUP);
    EXPECT_TRUE(eventually([&] {
        auto now = ctl_show(server_->socket_dir(), "Dyn");
        return now && !(*now)["acl"]["explicit"].get<bool>();
    })) << "the file has no access block for Dyn\n" << server_->log();
    EXPECT_TRUE(server_->is_keeper_child(daemon)) << "a reload is no restart\n" << server_->log();
}

// A destroy takes the memory out of the fd store: the domain does not come
// back after a crash.
TEST_F(KeeperRuntimeChanges, DestroyedRuntimeDomainDoesNotComeBackAfterKill9) {
    const CtlResult created = run_ctl(server_->socket_dir(),
                                      {"create", "--text", "memdomain Doomed {\n    size {\n        huge 4K = 1MB R/W\n"
                                                           "    }\n}\n"});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    const CtlResult destroyed = run_ctl(server_->socket_dir(), {"destroy", "Doomed"});
    ASSERT_EQ(destroyed.exit_code, 0) << destroyed.output;

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    const CtlResult shown = run_ctl(server_->socket_dir(), {"show", "Doomed"});
    EXPECT_EQ(shown.exit_code, 2) << shown.output << "\n" << server_->log();
    EXPECT_FALSE(open_domain(server_->socket_dir(), "Doomed"));
}

TEST_F(KeeperRuntimeChanges, RuntimeCreatedDomainSurvivesKill9WithItsAccessRules) {
    ASSERT_TRUE(ensure_test_users()) << "needs root and the test users (useradd " << kUserRw << ", ...)";
    ::chmod(server_->socket_dir().c_str(), 0755);  // the test users reach the sockets
    // The reader may only read, the writer write, root nothing: if the rules
    // were lost after the restart, the default policy would give root R/W
    // and refuse both users. (Not "user root = R/O": root can reopen a R/O
    // descriptor read-write, so the server refuses that grant.)
    const std::string text = std::string("memdomain Created {\n"
                                         "    size {\n"
                                         "        huge 4K = 1MB R/W\n"
                                         "    }\n"
                                         "    access {\n"
                                         "        user ") + kUserRw + " = R/W\n"
                             "        user " + kUserRo + " = R/O\n"
                             "    }\n"
                             "    socket {\n"
                             "        mode = 0666\n"
                             "    }\n"
                             "}\n";
    const CtlResult created = run_ctl(server_->socket_dir(), {"create", "--text", text});
    ASSERT_EQ(created.exit_code, 0) << created.output << "\n" << server_->log();
    auto before = ctl_show(server_->socket_dir(), "Created");
    ASSERT_TRUE(before);

    PeerProcess writer(server_->socket_dir(), "Created", peer_log("writer"), {"--write", "runtime-pattern", "--hold"},
                       kUserRw);
    ASSERT_EQ(writer.line("wrote: "), "runtime-pattern") << writer.log() << "\n" << server_->log();

    ASSERT_NO_FATAL_FAILURE(crash_and_wait());
    EXPECT_TRUE(writer.line("disconnected: ")) << writer.log();

    auto after = ctl_show(server_->socket_dir(), "Created");
    ASSERT_TRUE(after) << server_->log();
    EXPECT_EQ((*after)["origin"], "runtime");
    EXPECT_EQ((*after)["acl"], (*before)["acl"]);
    ASSERT_EQ((*after)["instances"].size(), 1u) << after->dump(2);
    EXPECT_EQ((*after)["instances"][0]["generation"], (*before)["instances"][0]["generation"]);

    PeerProcess reader(server_->socket_dir(), "Created", peer_log("reader"), {}, kUserRo);
    auto opened = reader.line("open: ");
    ASSERT_TRUE(opened) << reader.log() << "\n" << server_->log();
    EXPECT_NE(opened->find("access=R/O"), std::string::npos) << "the runtime rule 'user " << kUserRo
                                                              << " = R/O' came back: " << *opened;
    EXPECT_EQ(reader.line("read: "), "runtime-pattern") << reader.log();
    EXPECT_FALSE(open_domain(server_->socket_dir(), "Created")) << "root has no rule: the block came back";
    PeerProcess nobody(server_->socket_dir(), "Created", peer_log("nobody"), {}, kUserNone);
    auto refused = nobody.line("open: ");
    ASSERT_TRUE(refused) << nobody.log();
    EXPECT_EQ(refused->rfind("error EACCES", 0), 0u) << *refused;
}

}  // namespace
}  // namespace memdomain::test
