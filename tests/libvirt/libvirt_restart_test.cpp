// libvirtd restarted while a VM runs attached to a domain: the VM and its
// QEMU go on, the server keeps the same peer and the VM's lease, the guest
// still shares memory with a host peer, and the restarted libvirtd still
// runs the hook's release when the VM ends.
#include "libvirt_fixture.h"
#include "test_board.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Kept {
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

class LibvirtRestart : public LibvirtTest {};

TEST_F(LibvirtRestart, RestartingLibvirtdChangesNothingForTheVmOrTheServer) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    auto vm = guest({"lv-kept", "leave-announce", {"domain=Kept"}, shmem_xml("Kept"), "", false, 120});
    const CommandResult started = vm->create();
    ASSERT_EQ(started.exit_code, 0) << started.output << logs();
    ASSERT_TRUE(vm->wait_for_text("wrote_token=", 90s)) << vm->describe();
    const auto qemu = vm->qemu_pid();
    ASSERT_TRUE(qemu);
    const nlohmann::json before = show("Kept");
    ASSERT_EQ(peer_pids("Kept"), std::vector<long long>{*qemu});

    ASSERT_TRUE(virt().restart()) << virt().start_error();
    EXPECT_TRUE(vm->running()) << "the VM outlives libvirtd's restart\n" << virt().log();
    EXPECT_EQ(vm->qemu_pid(), qemu) << "the same QEMU";
    const nlohmann::json after = show("Kept");
    EXPECT_EQ(after["instances"], before["instances"]) << "same instance, same peer, same id";
    EXPECT_EQ(after["acl"], before["acl"]) << "the lease is kept";

    // The guest still shares the memory: the host's go releases it.
    auto host = attach_host("Kept");
    ASSERT_TRUE(host) << host.error().message;
    auto* board = reinterpret_cast<TestBoard*>(static_cast<std::byte*>(host->data()) + kBoardOffset);
    board_word(board->go).store(1, std::memory_order_release);
    ASSERT_TRUE(vm->wait_gone(60s)) << vm->describe();
    EXPECT_TRUE(vm->report().passed()) << vm->describe();
    EXPECT_EQ(vm->report().get("released"), "yes");
    EXPECT_TRUE(eventually([&] { return leases("Kept").empty(); }, 10s))
        << "the restarted libvirtd ran the hook's release\n" << show("Kept").dump(2);
}

}  // namespace
}  // namespace memdomain::test
