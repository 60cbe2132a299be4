// Per-VM grants: two VMs whose QEMUs run as the same user (root, here), a
// domain granted to one of them by name. The other is refused at connect
// with the protocol's refusal (a hot-plug through virsh: no hook, no lease)
// although its uid is one the access block admits, and the server's log
// names it; a grant to that VM by name is what lets it in.
#include <fstream>

#include "libvirt_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain OnlyA {
    vectors = 2
    size {
        huge 4K = 1MB R/W
    }
    access {
        user root = R/W
        vm lv-a = R/W
    }
}
)";

class LibvirtPerVm : public LibvirtTest {};

TEST_F(LibvirtPerVm, AVmOfTheSameUidIsRefusedFromADomainGrantedOnlyToAnother) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    GuestSpec a{"lv-a", "leave-announce", {"domain=OnlyA"}, shmem_xml("OnlyA")};
    GuestSpec b{"lv-b", "hotplug", {"domain=OnlyA"}};
    b.hotplug_bus = true;
    auto vm_a = guest(a);
    auto vm_b = guest(b);
    CommandResult r = vm_a->create();
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    r = vm_b->create();
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
    const auto qemu_a = vm_a->qemu_pid(), qemu_b = vm_b->qemu_pid();
    ASSERT_TRUE(qemu_a && qemu_b);
    EXPECT_TRUE(eventually([&] { return peer_pids("OnlyA") == std::vector<long long>{*qemu_a}; }, 10s))
        << "VM lv-a is attached\n" << show("OnlyA").dump(2);

    // B, root like A, hot-plugs the same device without a grant.
    const std::string device = work_->file("onlya.xml");
    std::ofstream(device) << shmem_xml("OnlyA");
    r = virt().virsh({"attach-device", "lv-b", device, "--live"});
    EXPECT_NE(r.exit_code, 0) << "QEMU of lv-b must not get the domain\n" << r.output;
    EXPECT_NE(r.output.find("server sent invalid ID message"), std::string::npos)
        << "QEMU saw the protocol's refusal (version 0, id -1)\n" << r.output;
    EXPECT_NE(server_->log().find("refused pid " + std::to_string(*qemu_b) + " uid 0 gid 0 (libvirt VM 'lv-b')"),
              std::string::npos)
        << server_->log();
    EXPECT_EQ(peer_pids("OnlyA"), std::vector<long long>{*qemu_a}) << "lv-a is still attached, lv-b is not";
    auto host = attach_host("OnlyA");
    EXPECT_TRUE(host) << "a root process that is no VM is admitted by 'user root': "
                      << (host ? "" : host.error().message);

    // A grant naming lv-b is what it takes.
    r = ctl({"grant", "OnlyA", "vm", "lv-b", "R/W"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = virt().virsh({"attach-device", "lv-b", device, "--live"});
    EXPECT_EQ(r.exit_code, 0) << r.output << logs();
    EXPECT_TRUE(eventually(
        [&] {
            const auto pids = peer_pids("OnlyA");
            return std::find(pids.begin(), pids.end(), *qemu_b) != pids.end();
        },
        10s))
        << show("OnlyA").dump(2);
}

}  // namespace
}  // namespace memdomain::test
