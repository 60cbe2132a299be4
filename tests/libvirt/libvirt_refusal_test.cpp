// virsh start of a VM the hook must refuse: the start fails, virsh's error
// holds the hook's one line (which VM, which domain, why), no QEMU runs and
// nothing stays leased. The guests never boot: the hook runs before QEMU.
#include <filesystem>
#include <fstream>

#include "libvirt_fixture.h"

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
        vm lv-observer = R/O
    }
}
)";

class LibvirtRefusal : public LibvirtTest {
protected:
    void SetUp() override {
        LibvirtTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    }
    // Starts VM `name` with `devices` (and a <qemu:commandline>); returns virsh's output.
    CommandResult start(const std::string& name, const std::string& devices, const std::string& cmdline = "") {
        GuestSpec spec{name, "smoke", {}, devices, cmdline};
        vm_ = guest(spec);
        return vm_->create();
    }
    // The hook's line in virsh's error.
    static std::string hook_line(const std::string& virsh_output) {
        const auto at = virsh_output.find("memdomain: ");
        return at == std::string::npos ? "" : virsh_output.substr(at, virsh_output.find('\n', at) - at);
    }
    void expect_nothing_left(const std::string& vm) {
        EXPECT_FALSE(vm_->running()) << vm << " must not run";
        EXPECT_TRUE(leases("Shared").empty()) << show("Shared").dump(2);
        EXPECT_TRUE(leases("Private").empty()) << show("Private").dump(2);
        EXPECT_TRUE(peer_pids("Shared").empty());
    }
    std::unique_ptr<LibvirtGuest> vm_;
};

TEST_F(LibvirtRefusal, ADomainThatDoesNotExistFailsTheStartNamingIt) {
    const CommandResult r = start("lv-missing", shmem_xml("Nope"));
    ASSERT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(hook_line(r.output), "memdomain: VM 'lv-missing' cannot have domain 'Nope': no domain 'Nope' "
                                   "(memdomaind at /run/memdomain)")
        << r.output;
    expect_nothing_left("lv-missing");
}

TEST_F(LibvirtRefusal, ADomainWhoseAccessBlockDoesNotPermitTheVmFailsTheStart) {
    const CommandResult r = start("lv-denied", shmem_xml("Private"));
    ASSERT_NE(r.exit_code, 0) << r.output;
    const std::string line = hook_line(r.output);
    EXPECT_EQ(line.rfind("memdomain: VM 'lv-denied' cannot have domain 'Private': domain 'Private' permits VM "
                         "'lv-denied' nothing",
                         0),
              0u)
        << r.output;
    expect_nothing_left("lv-denied");
}

TEST_F(LibvirtRefusal, AReadOnlyPermissionRefusesADoorbellDevice) {
    const CommandResult r = start("lv-observer", shmem_xml("Private"));
    ASSERT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(hook_line(r.output).find("read-only"), std::string::npos) << r.output;
    expect_nothing_left("lv-observer");
}

TEST_F(LibvirtRefusal, OneRefusedDomainUndoesTheLeasesOfTheOthers) {
    const CommandResult r = start("lv-greedy", shmem_xml("Shared") + shmem_xml("Private"));
    ASSERT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(hook_line(r.output).find("'Private'"), std::string::npos) << r.output;
    expect_nothing_left("lv-greedy");
    EXPECT_NE(server_->log().find("lease 'Shared' vm 'lv-greedy': ok"), std::string::npos)
        << "Shared was leased first, then released again\n" << server_->log();
}

TEST_F(LibvirtRefusal, AReadOnlyBackendWithoutReadonlyOnIsRefused) {
    const std::string cmdline =
        "  <qemu:commandline>\n"
        "    <qemu:arg value='-object'/>\n"
        "    <qemu:arg value='memory-backend-file,id=ro,mem-path=/run/memdomain/ns/Private,size=64K,share=on'/>\n"
        "    <qemu:arg value='-device'/>\n"
        "    <qemu:arg value='ivshmem-plain,memdev=ro'/>\n"
        "  </qemu:commandline>\n";
    const CommandResult r = start("lv-observer", "", cmdline);
    ASSERT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(hook_line(r.output).find("lacks readonly=on"), std::string::npos) << r.output;
    expect_nothing_left("lv-observer");
}

TEST_F(LibvirtRefusal, LibvirtsOwnIvshmemPlainNamedAfterADomainIsRefusedWithTheRightXml) {
    const CommandResult r =
        start("lv-plain", "    <shmem name='Shared'><model type='ivshmem-plain'/><size unit='M'>1</size></shmem>\n");
    ASSERT_NE(r.exit_code, 0) << r.output;
    const std::string line = hook_line(r.output);
    EXPECT_NE(line.find("/dev/shm/Shared"), std::string::npos) << r.output;
    EXPECT_NE(line.find("memdomainctl libvirt-xml Shared --readonly"), std::string::npos) << r.output;
    expect_nothing_left("lv-plain");
}

TEST_F(LibvirtRefusal, AServerThatIsNotRunningFailsTheStartSayingWhere) {
    // hook.conf is how a bare-environment hook learns another directory.
    std::filesystem::create_directories("/etc/memdomain");
    std::ofstream("/etc/memdomain/hook.conf") << "# test\nsocket_dir = /run/memdomain-elsewhere\ntimeout = 2s\n";
    const CommandResult r =
        start("lv-orphan", "    <shmem name='Gone'><model type='ivshmem-doorbell'/><server "
                           "path='/run/memdomain-elsewhere/Gone.sock'/><msi vectors='1'/></shmem>\n");
    std::filesystem::remove("/etc/memdomain/hook.conf");
    ASSERT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(hook_line(r.output).rfind("memdomain: VM 'lv-orphan' cannot have domain 'Gone': memdomaind is not "
                                        "running at /run/memdomain-elsewhere",
                                        0),
              0u)
        << r.output;
    expect_nothing_left("lv-orphan");
}

TEST_F(LibvirtRefusal, AVmWithoutMemdomainDevicesStartsUntouched) {
    const CommandResult r = start("lv-plain-vm", "");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(vm_->running());
    EXPECT_EQ(server_->log().find("lv-plain-vm"), std::string::npos)
        << "the hook never talked to memdomaind about a VM with no memdomain\n" << server_->log();
    EXPECT_NE(read_file(kUserHookLog).find("lv-plain-vm prepare begin"), std::string::npos)
        << "libvirt runs the user's own hooks/qemu next to qemu.d/memdomain\n" << read_file(kUserHookLog);
}

}  // namespace
}  // namespace memdomain::test
