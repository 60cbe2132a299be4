// The hook program as libvirt runs it (argv VMNAME OP SUBOP -, the domain XML
// on stdin), against a real memdomaind, without libvirt: what it leases and
// releases, its one-line refusals, malformed and hostile input, and that a
// VM without memdomain devices passes with no socket connection at all.
// --config points it at a hook.conf of the test's (libvirt itself never
// passes that option; the default path is tested through libvirt).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "memdomain/sys/socket.h"
#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Shared {
    size {
        huge 4K = 64KB R/W
    }
    access {
        user root = R/W
        vm * = R/W
    }
}
memdomain Private {
    size {
        huge 4K = 64KB R/W
    }
    access {
        user root = R/W
        vm probe = R/O
    }
}
)";

struct HookRun {
    int status = -1;
    std::string out;  // stdout + stderr
};

std::string shmem(const std::string& dir, const std::string& file) {
    return "<shmem name='x'><model type='ivshmem-doorbell'/><server path='" + dir + "/" + file + "'/></shmem>";
}
std::string domain_xml(const std::string& vm, const std::string& devices, const std::string& extra = "") {
    return "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>" + vm +
           "</name><devices>" + devices + "</devices>" + extra + "</domain>";
}

class HookProgram : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(kConfig);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        write_conf("socket_dir = " + server_->socket_dir() + "\ntimeout = 3s\n");
    }
    void write_conf(const std::string& text) { std::ofstream(dir_.file("hook.conf")) << text; }
    HookRun hook(const std::string& vm, const std::string& op, const std::string& subop, const std::string& xml) {
        std::ofstream(dir_.file("in.xml"), std::ios::binary) << xml;
        // The hook's stdin is the XML, as from libvirt; a shell does the redirect.
        const std::string cmd = std::string(MEMDOMAIN_HOOK_PATH) + " --config " + dir_.file("hook.conf") + " '" + vm +
                                "' " + op + " " + subop + " - < " + dir_.file("in.xml");
        Process::Options o;
        o.log_path = dir_.file("hook" + std::to_string(runs_++) + ".log");
        Process p({"/bin/sh", "-c", cmd}, o);
        HookRun r;
        auto st = p.wait(30s);
        r.status = st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
        r.out = p.log();
        return r;
    }
    nlohmann::json leases(const std::string& domain) {
        Process::Options o;
        o.log_path = dir_.file("show" + std::to_string(runs_++) + ".json");
        Process p({MEMDOMAINCTL_PATH, "--socket-dir", server_->socket_dir(), "--json", "show", domain}, o);
        (void)p.wait(10s);
        auto j = nlohmann::json::parse(p.log(), nullptr, false);
        return j.is_object() ? j["acl"]["leases"] : nlohmann::json();
    }
    std::string dir() const { return server_->socket_dir(); }

    TempDir dir_;
    std::unique_ptr<Server> server_;
    int runs_ = 0;  // each run's output in a file of its own
};

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

TEST_F(HookProgram, PrepareLeasesEveryDomainTheXmlUsesAndReleaseDropsThem) {
    // Two devices of one domain (segment sockets count): one lease.
    const std::string xml = domain_xml("web1", shmem(dir(), "Shared.sock") + shmem(dir(), "Shared@1.sock"));
    HookRun r = hook("web1", "prepare", "begin", xml);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(leases("Shared"), nlohmann::json::array({{{"vm", "web1"}, {"access", "R/W"}}}));
    r = hook("web1", "release", "end", xml);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(leases("Shared").empty());
}

TEST_F(HookProgram, ALeaseForTheObserverAndTheRelease) {
    const std::string ro = "<qemu:commandline><qemu:arg value='-object'/><qemu:arg value='memory-backend-file,id=r,"
                           "mem-path=" + dir() + "/ns/Private,size=64K,share=on,readonly=on'/></qemu:commandline>";
    HookRun r = hook("probe", "prepare", "begin", domain_xml("probe", "", ro));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(leases("Private"), nlohmann::json::array({{{"vm", "probe"}, {"access", "R/O"}}}));
    r = hook("probe", "started", "begin", domain_xml("probe", "", ro));
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(leases("Private").size(), 1u) << "only prepare and release act";
    r = hook("probe", "release", "end", domain_xml("probe", "", ro));
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(leases("Private").empty());
}

TEST_F(HookProgram, ARefusalIsOneLineAndUndoesWhatThisRunLeased) {
    HookRun r = hook("web1", "prepare", "begin",
                     domain_xml("web1", shmem(dir(), "Shared.sock") + shmem(dir(), "Private.sock")));
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(one_line(r.out)) << r.out;
    EXPECT_EQ(r.out.rfind("memdomain: VM 'web1' cannot have domain 'Private': domain 'Private' permits VM 'web1' "
                          "nothing",
                          0),
              0u)
        << r.out;
    EXPECT_TRUE(leases("Shared").empty()) << "Shared was leased, then released again";
}

TEST_F(HookProgram, AVmWithoutMemdomainDevicesPassesWithoutAConnection) {
    // control.sock of a "server" that only listens: any connection would wait in its queue.
    TempDir fake;
    auto listener = sys::listen_unix(fake.file("control.sock"), 8);
    ASSERT_TRUE(listener) << listener.error().message;
    write_conf("socket_dir = " + fake.path() + "\n");
    const std::string others =
        "<shmem name='other'><model type='ivshmem-doorbell'/><server path='/run/ivshmem/other.sock'/></shmem>"
        "<shmem name='plain'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>"
        "<disk type='file'><source file='" + fake.path() + "/Shared.sock'/></disk>";
    for (const auto& xml : {domain_xml("plain", ""), domain_xml("other", others)}) {
        HookRun r = hook("plain", "prepare", "begin", xml);
        EXPECT_EQ(r.status, 0) << r.out;
        EXPECT_TRUE(r.out.empty()) << r.out;
        r = hook("plain", "release", "end", xml);
        EXPECT_EQ(r.status, 0) << r.out;
    }
    auto accepted = sys::accept_unix(listener->get());
    ASSERT_TRUE(accepted);
    EXPECT_FALSE(accepted->valid()) << "the hook connected to control.sock for a VM without memdomain devices";
}

TEST_F(HookProgram, MalformedOrHostileXmlIsAOneLineRefusalNeverACrash) {
    const std::string deep = std::string(100000, '<');
    const std::string billion =
        "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
        "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d2 '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>]>"
        "<domain><devices><shmem name='&d2;'/></devices></domain>";
    for (const std::string& bad : {std::string("<domain><devices><shmem"), std::string("shmem \x01\xff\xfe"), deep,
                                   std::string("<notadomain><shmem/></notadomain>"), billion}) {
        HookRun r = hook("vm", "prepare", "begin", bad);
        EXPECT_NE(r.status, -1) << "the hook must exit, not hang or crash";
        if (r.status == 0) continue;  // nothing of ours in it (the entity bomb names no memdomain)
        EXPECT_EQ(r.status, 1) << r.out;
        EXPECT_TRUE(one_line(r.out)) << r.out;
        EXPECT_EQ(r.out.rfind("memdomain: VM 'vm': ", 0), 0u) << r.out;
    }
    HookRun r = hook("vm", "prepare", "begin", "<domain><devices><shmem");
    EXPECT_NE(r.out.find("malformed XML at line 1"), std::string::npos) << r.out;
    r = hook("vm", "release", "end", "<domain><devices><shmem");
    EXPECT_EQ(r.status, 0) << "a release never fails the VM's teardown";
}

TEST_F(HookProgram, AServerThatIsNotRunningIsSaidInOneLine) {
    TempDir empty;
    write_conf("socket_dir = " + empty.path() + "\n");
    HookRun r = hook("web1", "prepare", "begin", domain_xml("web1", shmem(empty.path(), "Shared.sock")));
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(one_line(r.out)) << r.out;
    EXPECT_EQ(r.out.rfind("memdomain: VM 'web1' cannot have domain 'Shared': memdomaind is not running at " +
                              empty.path(),
                          0),
              0u)
        << r.out;
}

TEST_F(HookProgram, ABrokenHookConfIsNamedWithItsLine) {
    write_conf("socket_dir = " + dir() + "\nsocketdir = /x\n");
    HookRun r = hook("web1", "prepare", "begin", domain_xml("web1", shmem(dir(), "Shared.sock")));
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(one_line(r.out)) << r.out;
    EXPECT_NE(r.out.find("hook.conf:2: unknown key 'socketdir' (keys: socket_dir, timeout)"), std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace memdomain::test
