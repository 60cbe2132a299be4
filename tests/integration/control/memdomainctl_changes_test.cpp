// memdomainctl's changing verbs against a real memdomaind, with real users
// (test_users.h, as for the security tests): create from a
// file, stdin or --text; destroy refused with a peer attached (exit 5) until
// --force; grant letting a refused user attach and revoke throwing it out;
// EPERM (exit 4) for a user outside the admin group, success for a member;
// the verb help; exit 2 naming an unknown domain.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "ctl_runner.h"
#include "host_peer.h"
#include "server_fixture.h"
#include "test_users.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUserReader = kUserRo;        // in kAdminGroup
constexpr const char* kAdminGroup = kGroupReaders;

std::string domain_text(const std::string& name) {
    return "memdomain " + name + " {\n    size {\n        huge 4K = 128KB R/W\n    }\n}\n";
}

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

class MemdomainctlChanges : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create test users and run as them";
        if (!ensure_test_users()) GTEST_SKIP() << "could not create the test users (useradd)";
        server_ = std::make_unique<Server>(std::string("server {\n    admin_group = ") + kAdminGroup + "\n}\n" +
                                               domain_config("Held", "64KB"),
                                           std::vector<std::string>{"--socket-mode", "0666"});
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        ::chmod(server_->socket_dir().c_str(), 0755);  // other users must reach the sockets
    }
    CtlRun ctl(std::vector<std::string> args, CtlOptions o = {}) {
        args.insert(args.begin(), {"--socket-dir", server_->socket_dir()});
        return memdomainctl(args, o);
    }
    CtlRun ctl_as(const std::string& user, std::vector<std::string> args) {
        CtlOptions o;
        o.user = user;
        return ctl(std::move(args), o);
    }
    // control_holding_peer as `user` on `domain`'s socket, logging to a file.
    Process holding_peer(const std::string& user, const std::string& domain) {
        Process::Options o;
        o.user = user;
        o.log_path = server_->socket_dir() + "/holder-" + user + "-" + std::to_string(++holders_) + ".log";
        return Process({HOLDING_PEER_PATH, server_->socket(domain)}, o);
    }
    // Waits for `p`'s log to contain `what`; the log.
    static std::string wait_log(Process& p, const std::string& what, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string log = p.log();
        while (!has(log, what) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
            log = p.log();
        }
        return log;
    }
    std::unique_ptr<Server> server_;
    int holders_ = 0;
};

TEST_F(MemdomainctlChanges, CreateFromAFilePrintsTheNewDomainAndAPeerAttaches) {
    const std::string file = server_->socket_dir() + "/new.conf";
    std::ofstream(file) << domain_text("FromFile");
    auto r = ctl({"create", file});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(has(r.output, "created domain FromFile\ndomain FromFile: shared, static")) << r.output;
    EXPECT_TRUE(has(r.output, "origin runtime")) << r.output;
    EXPECT_FALSE(has(r.output, "\r")) << "no progress bar when stderr is not a terminal:\n" << r.output;
    auto peer = HostPeer::connect(server_->socket("FromFile"));
    ASSERT_TRUE(peer) << peer.error().message;
    EXPECT_EQ(header_domain_name(peer->header()), "FromFile");
}

TEST_F(MemdomainctlChanges, CreateReadsStdinForDash) {
    const std::string file = server_->socket_dir() + "/stdin.conf";
    std::ofstream(file) << domain_text("FromStdin");
    CtlOptions o;
    o.stdin_path = file;
    auto r = ctl({"--json", "create", "-"}, o);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "--json prints the show object alone:\n" << r.output;
    EXPECT_EQ(j.at("name"), "FromStdin");
    EXPECT_EQ(j.at("origin"), "runtime");
}

TEST_F(MemdomainctlChanges, CreateWithBadTextExitsOneWithTheRequestLineAndColumn) {
    auto r = ctl({"create", "--text", "memdomain Bad {\n    vectors = 0\n    size {\n        huge 4K = 64KB R/W\n    }\n}\n"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(has(r.output, "memdomainctl: create: request:2:")) << r.output;
}

TEST_F(MemdomainctlChanges, CreateOfATakenNameExitsSix) {
    auto r = ctl({"create", "--text", domain_text("Held")});
    EXPECT_EQ(r.exit_code, 6) << r.output;
    EXPECT_TRUE(has(r.output, "'Held'")) << r.output;
}

TEST_F(MemdomainctlChanges, DestroyWithAPeerAttachedExitsFiveUntilForced) {
    auto peer = HostPeer::connect(server_->socket("Held"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto refused = ctl({"destroy", "Held"});
    EXPECT_EQ(refused.exit_code, 5) << refused.output;
    EXPECT_TRUE(has(refused.output, "1 peer(s) attached")) << refused.output;
    EXPECT_TRUE(has(refused.output, "force")) << refused.output;

    auto forced = ctl({"destroy", "Held", "--force"});
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_EQ(forced.output, "destroyed domain Held (1 peer(s) disconnected)\n");
    EXPECT_FALSE(peer->next_event(5s)) << "the peer's connection must be closed";
    EXPECT_EQ(ctl({"show", "Held"}).exit_code, 2);
}

TEST_F(MemdomainctlChanges, GrantLetsARefusedUserAttachAndRevokeDisconnectsIt) {
    {
        Process before = holding_peer(kUserNone, "Held");
        ASSERT_TRUE(before.wait(10s)) << before.log();
        ASSERT_TRUE(has(before.log(), "refused")) << "the default policy admits root and the server's user only:\n"
                                                  << before.log();
    }
    auto granted = ctl({"grant", "Held", "user", kUserNone, "R/W"});
    ASSERT_EQ(granted.exit_code, 0) << granted.output;
    EXPECT_TRUE(has(granted.output, std::string("granted user ") + kUserNone + " R/W on Held (no peer disconnected)"))
        << granted.output;
    EXPECT_TRUE(has(granted.output, std::string("  user  ") + kUserNone + "  R/W")) << granted.output;

    Process holder = holding_peer(kUserNone, "Held");
    const std::string attached = wait_log(holder, "attached");
    ASSERT_TRUE(has(attached, "access=R/W")) << attached << server_->log();

    auto revoked = ctl({"revoke", "Held", "user", kUserNone});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_TRUE(has(revoked.output, std::string("revoked user ") + kUserNone + " on Held (1 peer(s) disconnected)"))
        << revoked.output;
    EXPECT_FALSE(has(revoked.output, kUserNone + std::string("  R/W"))) << revoked.output;
    EXPECT_TRUE(has(wait_log(holder, "disconnected"), "disconnected")) << holder.log();
    EXPECT_TRUE(holder.wait(5s));

    Process after = holding_peer(kUserNone, "Held");
    ASSERT_TRUE(after.wait(10s));
    EXPECT_TRUE(has(after.log(), "refused")) << after.log();
}

TEST_F(MemdomainctlChanges, RevokeOfAnEntryThatIsNotThereExitsTwo) {
    auto r = ctl({"revoke", "Held", "group", kAdminGroup});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(has(r.output, kAdminGroup)) << r.output;
}

TEST_F(MemdomainctlChanges, UserOutsideTheAdminGroupGetsExitFourAndChangesNothing) {
    // Open the socket to everyone, so the refusal is the server's (EPERM), not the file's.
    ASSERT_EQ(::chmod((server_->socket_dir() + "/control.sock").c_str(), 0666), 0);
    auto r = ctl_as(kUserNone, {"destroy", "Held", "--force"});
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_TRUE(has(r.output, "needs root or admin group")) << r.output;
    EXPECT_TRUE(has(r.output, kAdminGroup)) << r.output;
    EXPECT_EQ(ctl_as(kUserNone, {"grant", "Held", "user", kUserNone, "R/W"}).exit_code, 4);
    EXPECT_EQ(ctl_as(kUserNone, {"create", "--text", domain_text("Nope")}).exit_code, 4);
    auto list = ctl_as(kUserNone, {"list"});
    EXPECT_EQ(list.exit_code, 0) << "reading stays open: " << list.output;
    EXPECT_TRUE(has(list.output, "Held")) << list.output;
    EXPECT_FALSE(has(list.output, "Nope")) << list.output;
}

TEST_F(MemdomainctlChanges, UserWithoutPermissionOnTheControlSocketGetsExitFour) {
    auto r = ctl_as(kUserNone, {"list"});
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_TRUE(has(r.output, "control.sock")) << r.output;
}

TEST_F(MemdomainctlChanges, ControlSocketBelongsToTheAdminGroup) {
    struct stat st{};
    ASSERT_EQ(::stat((server_->socket_dir() + "/control.sock").c_str(), &st), 0);
    const group* g = ::getgrnam(kAdminGroup);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(MemdomainctlChanges, MemberOfTheAdminGroupMayChangeDomains) {
    auto granted = ctl_as(kUserReader, {"grant", "Held", "group", kAdminGroup, "R/O"});
    EXPECT_EQ(granted.exit_code, 0) << granted.output;
    auto created = ctl_as(kUserReader, {"create", "--text", domain_text("ByMember")});
    EXPECT_EQ(created.exit_code, 0) << created.output;
    auto destroyed = ctl_as(kUserReader, {"destroy", "ByMember"});
    EXPECT_EQ(destroyed.exit_code, 0) << destroyed.output;
    EXPECT_TRUE(has(server_->log(), "control: pid")) << "changes are logged with who made them";
}

TEST_F(MemdomainctlChanges, DestroyHelpPrintsItsUsage) {
    auto r = memdomainctl({"destroy", "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.rfind("Usage: memdomainctl [--socket-dir DIR] [--json] destroy NAME [--force]\n", 0), 0u)
        << r.output;
    EXPECT_TRUE(has(r.output, "--force disconnects them")) << r.output;
    EXPECT_TRUE(has(r.output, "5  busy")) << r.output;
}

TEST_F(MemdomainctlChanges, UnknownDomainExitsTwoNamingIt) {
    for (auto args : {std::vector<std::string>{"destroy", "Ghost"},
                      std::vector<std::string>{"grant", "Ghost", "user", "root", "R/W"},
                      std::vector<std::string>{"revoke", "Ghost", "user", "root"}}) {
        auto r = ctl(args);
        EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.output;
        EXPECT_TRUE(has(r.output, "no domain 'Ghost'")) << r.output;
    }
}

}  // namespace
}  // namespace memdomain::test
