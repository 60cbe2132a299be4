// virsh destroy of a VM attached to a dynamic domain: the server sees the
// VM's QEMU leave at once, frees the instance after its grace time (its
// memory goes back), and the hook's release drops the VM's lease.
#include "libvirt_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Dyn {
    policy = dynamic
    grace = 1s
    vectors = 2
    size {
        huge 4K = 1MB R/W
    }
    access {
        user root = R/W
        vm * = R/W
    }
}
)";

class LibvirtDestroy : public LibvirtTest {};

TEST_F(LibvirtDestroy, TheServerSeesTheVmLeaveFreesTheInstanceAfterItsGraceAndTheLeaseIsGone) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    ASSERT_TRUE(show("Dyn")["instances"].empty()) << "dynamic: no memory before the first peer";
    auto vm = guest({"lv-dyn", "leave-announce", {"domain=Dyn"}, shmem_xml("Dyn")});
    const CommandResult started = vm->create();
    ASSERT_EQ(started.exit_code, 0) << started.output << logs();
    const auto qemu = vm->qemu_pid();
    ASSERT_TRUE(qemu);
    ASSERT_TRUE(eventually([&] { return peer_pids("Dyn") == std::vector<long long>{*qemu}; }, 10s))
        << show("Dyn").dump(2);
    EXPECT_EQ(show("Dyn")["instances"].size(), 1u);
    EXPECT_EQ(leases("Dyn"), (std::map<std::string, std::string>{{"lv-dyn", "R/W"}}));

    const CommandResult destroyed = virt().virsh({"destroy", "lv-dyn"});
    ASSERT_EQ(destroyed.exit_code, 0) << destroyed.output;
    EXPECT_TRUE(eventually([&] { return peer_pids("Dyn").empty(); }, 5s)) << "the server saw QEMU leave";
    EXPECT_TRUE(eventually([&] { return show("Dyn")["instances"].empty(); }, 10s))
        << "the instance is freed after the grace time\n" << server_->log();
    EXPECT_NE(server_->log().find("no peer came back within the grace time"), std::string::npos) << server_->log();
    EXPECT_TRUE(eventually([&] { return leases("Dyn").empty(); }, 10s)) << "the hook released the lease";
}

}  // namespace
}  // namespace memdomain::test
