// memdomainctl against a real memdomaind: exit codes (0 ok, 1 other errors,
// 2 unknown domain, 3 server unreachable), the tables, --json, the help.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ctl_runner.h"
#include "host_peer.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

class Memdomainctl : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(domain_config("CtlDom", "1MB", 2) + domain_config("Spare", "64KB", 1));
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    CtlRun ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {"--socket-dir", server_->socket_dir()});
        return memdomainctl(args);
    }
    std::unique_ptr<Server> server_;
};

TEST_F(Memdomainctl, ListPrintsATableWithOneRowPerDomain) {
    auto r = ctl({"list"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output,
              "NAME    TYPE    POLICY  ORIGIN  SEGMENTS  SIZE  INSTANCES  RESIDENT  PEERS\n"
              "CtlDom  shared  static  config  1         1M    1          1M        0\n"
              "Spare   shared  static  config  1         64K   1          64K       0\n");
}

TEST_F(Memdomainctl, SocketDirComesFromTheEnvironmentWhenNotGiven) {
    auto r = memdomainctl({"list"}, CtlOptions{.env = {"MEMDOMAIN_SOCKET_DIR=" + server_->socket_dir()}});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("CtlDom"), std::string::npos) << r.output;
}

TEST_F(Memdomainctl, ShowPrintsAnAttachedPeersPidAndUid) {
    auto peer = HostPeer::connect(server_->socket("CtlDom"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto r = ctl({"show", "CtlDom"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("domain CtlDom: shared, static, 2 vector(s)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("socket:    " + server_->socket("CtlDom")), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("instance shared: generation "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(", resident 1M/1M, 1 peer(s)\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("  SEGMENT  ID  PID"), std::string::npos) << r.output;
    // The row: segment 0, the peer's id, our pid and uid, its access, nothing queued, no doorbell rung.
    const std::string row = "  0        " + std::to_string(peer->id()) + "   " + std::to_string(::getpid()) + "  " +
                            std::to_string(::getuid());
    EXPECT_NE(r.output.find(row), std::string::npos) << "no row '" << row << "' in:\n" << r.output;
    EXPECT_NE(r.output.find("R/W     0       0,0\n"), std::string::npos) << r.output;
}

TEST_F(Memdomainctl, JsonPrintsTheRawResult) {
    auto r = ctl({"--json", "show", "Spare"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.output;
    EXPECT_EQ(j.at("name"), "Spare");
    EXPECT_EQ(j.at("segments").at(0).at("size"), 64 * 1024);
}

TEST_F(Memdomainctl, StatsPrintTheServersPid) {
    auto r = ctl({"stats"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("pid              " + std::to_string(server_->pid()) + "\n"), std::string::npos)
        << r.output;
}

TEST_F(Memdomainctl, QemuArgsPrintTheDoorbellCommandLine) {
    auto r = ctl({"qemu-args", "CtlDom"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("-chardev socket,id=md0,path=" + server_->socket("CtlDom") +
                            " -device ivshmem-doorbell,chardev=md0,vectors=2\n"),
              std::string::npos)
        << r.output;
}

// No <size>: libvirt 9.0 refuses one on ivshmem-doorbell (the server's
// memory fd decides the size).
TEST_F(Memdomainctl, LibvirtXmlPrintsTheShmemElement) {
    auto r = ctl({"libvirt-xml", "CtlDom"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "<shmem name='CtlDom'><model type='ivshmem-doorbell'/><server path='" +
                            server_->socket("CtlDom") + "'/><msi vectors='2' ioeventfd='on'/></shmem>\n");
}

TEST_F(Memdomainctl, UnknownDomainExitsTwoNamingIt) {
    auto r = ctl({"show", "Ghost"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("no domain 'Ghost'"), std::string::npos) << r.output;
}

TEST_F(Memdomainctl, StoppedServerExitsThreeNamingTheSocket) {
    ASSERT_TRUE(server_->stop());
    auto r = ctl({"list"});
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find(server_->socket_dir() + "/control.sock"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("not running"), std::string::npos) << r.output;
}

TEST(MemdomainctlUsage, UnknownVerbExitsOneListingTheVerbs) {
    auto r = memdomainctl({"frobnicate", "X"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("unknown verb 'frobnicate'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("libvirt-xml"), std::string::npos) << r.output;
}

TEST(MemdomainctlUsage, VerbWithoutItsNameExitsOne) {
    auto r = memdomainctl({"show"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("show needs a domain name"), std::string::npos) << r.output;
}

TEST(MemdomainctlUsage, HelpListsEveryVerbAndExitsZero) {
    auto r = memdomainctl({"--help"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (auto v : {"list", "show NAME", "stats", "qemu-args NAME", "libvirt-xml NAME", "create FILE", "destroy NAME",
                   "grant NAME", "revoke NAME", "--socket-dir", "--json", "--force", "--text", "Exit codes",
                   "4  not allowed", "5  busy"})
        EXPECT_NE(r.output.find(v), std::string::npos) << v << " missing from:\n" << r.output;
}

TEST(MemdomainctlUsage, VerbHelpGivesThatVerbsUsage) {
    auto r = memdomainctl({"qemu-args", "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.rfind("Usage: memdomainctl [--socket-dir DIR] [--json] qemu-args NAME\n", 0), 0u) << r.output;
}

}  // namespace
}  // namespace memdomain::test
