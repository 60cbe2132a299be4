// Hot attach and detach with memdomainctl on a running VM (no hook fires
// for a hot-plug): attach leases the domain to the VM and plugs the device
// through libvirt's API; the guest (vm-images/scenarios/hotplug.sh) sees it
// appear and opens the domain by name; detach unplugs it, the guest sees it
// go, the lease goes too. Read-write (ivshmem-doorbell, --persistent: into
// the VM's definition and out again), then read-only (ivshmem-plain on the
// read-only backend).
#include "libvirt_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Hot {
    vectors = 2
    size {
        huge 4K = 1MB R/W
    }
    access {
        user root = R/W
    }
}
)";

class LibvirtHotplug : public LibvirtTest {};

TEST_F(LibvirtHotplug, AttachAndDetachOnARunningVmAreSeenByTheGuest) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    GuestSpec spec{"lv-hot", "hotplug", {"domain=Hot", "rounds=doorbell,plain"}};
    spec.hotplug_bus = true;
    spec.guest_timeout_s = 150;
    auto vm = guest(spec);
    const CommandResult started = vm->define_and_start();
    ASSERT_EQ(started.exit_code, 0) << started.output << logs();
    ASSERT_TRUE(vm->wait_for_text("round doorbell: waiting", 90s)) << vm->describe();
    const auto qemu = vm->qemu_pid();
    ASSERT_TRUE(qemu);

    // Read-write, into the persistent definition too.
    CommandResult r = ctl({"attach", "lv-hot", "Hot", "--persistent"});
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    EXPECT_EQ(leases("Hot"), (std::map<std::string, std::string>{{"lv-hot", "R/W"}}));
    EXPECT_NE(virt().virsh({"dumpxml", "--inactive", "lv-hot"}).output.find("<shmem name='Hot'>"), std::string::npos);
    ASSERT_TRUE(vm->wait_for_text("doorbell_opened=yes", 60s)) << vm->describe();
    EXPECT_NE(std::find(peer_pids("Hot").begin(), peer_pids("Hot").end(), *qemu), peer_pids("Hot").end());
    r = ctl({"detach", "lv-hot", "Hot", "--persistent"});
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    ASSERT_TRUE(vm->wait_for_text("doorbell_gone=yes", 60s)) << vm->describe();
    EXPECT_TRUE(leases("Hot").empty());
    EXPECT_EQ(virt().virsh({"dumpxml", "--inactive", "lv-hot"}).output.find("<shmem"), std::string::npos);
    EXPECT_TRUE(eventually([&] { return peer_pids("Hot").empty(); }, 10s)) << show("Hot").dump(2);

    // Read-only: ivshmem-plain, no doorbells, no socket connection.
    r = ctl({"attach", "lv-hot", "Hot", "--readonly"});
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    EXPECT_EQ(leases("Hot"), (std::map<std::string, std::string>{{"lv-hot", "R/O"}}));
    ASSERT_TRUE(vm->wait_for_text("plain_opened=yes", 60s)) << vm->describe();
    r = ctl({"detach", "lv-hot", "Hot"});
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    ASSERT_TRUE(vm->wait_for_text("plain_gone=yes", 60s)) << vm->describe();
    EXPECT_TRUE(leases("Hot").empty());

    ASSERT_TRUE(vm->wait_gone(60s)) << vm->describe();
    const SerialReport rep = vm->report();
    EXPECT_TRUE(rep.passed()) << vm->describe();
    EXPECT_EQ(rep.get("doorbell_info_domain"), "Hot");
    EXPECT_EQ(rep.get("plain_info_domain"), "Hot");
    EXPECT_NE(rep.get("doorbell_bar1"), "0") << "ivshmem-doorbell has an MSI-X table";
    EXPECT_EQ(rep.get("plain_bar1"), "0") << "ivshmem-plain has none";
}

TEST_F(LibvirtHotplug, AttachToAVmThatDoesNotExistFailsAndLeasesNothing) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    const CommandResult r = ctl({"attach", "lv-nowhere", "Hot"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("no libvirt VM 'lv-nowhere'"), std::string::npos) << r.output;
    EXPECT_TRUE(leases("Hot").empty());
}

}  // namespace
}  // namespace memdomain::test
