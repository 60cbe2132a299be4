// A stock QEMU (paused, TCG) with ivshmem-doorbell on a real memdomaind socket:
// it realizes the device, becomes a peer, and leaves cleanly when killed.
// A raw host peer (host_peer.h) watches what the server announces.
#include <gtest/gtest.h>

#include <thread>

#include "host_peer.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "qemu_guest.h"
#include "server_fixture.h"
#include "server_with_host_peer.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5000ms;

class QemuJoin : public ServerWithHostPeer {
protected:
    void SetUp() override {
        MD_SKIP_WITHOUT_QEMU();
        ASSERT_NO_FATAL_FAILURE(start_server(domain_config("JoinDom", "1MB", 2), "JoinDom"));
    }

    // A QEMU without qtest: only the command line a VM would use.
    std::unique_ptr<QemuGuest> start_qemu(bool qtest = false) {
        QemuGuestOptions o;
        o.work_dir = dir_.path();
        o.name = "vm";
        o.args = doorbell_args(server_->socket("JoinDom"), 2);
        o.qtest = qtest;
        auto g = QemuGuest::start(o);
        EXPECT_TRUE(g) << g.error().message;
        return g ? std::move(g).value() : nullptr;
    }

    TempDir dir_;
};

TEST_F(QemuJoin, HostPeerSeesQemuJoinWithOneEventfdPerVector) {
    auto vm = start_qemu();
    ASSERT_TRUE(vm);
    auto id = host_->wait_join(kWait);
    ASSERT_TRUE(id) << id.error().message << "\nQEMU log:\n" << vm->log() << "\nserver log:\n" << server_->log();
    EXPECT_NE(*id, host_->id());
    // Anything surplus would arrive right behind the join: give it the chance.
    ASSERT_TRUE(host_->drain(100ms));
    EXPECT_EQ(host_->eventfd_count(*id), 2u);
    EXPECT_TRUE(vm->process().running()) << vm->log();
    EXPECT_EQ(vm->log(), "");  // a clean attach prints nothing
}

TEST_F(QemuJoin, HostPeerSeesQemuLeaveWhenKilled) {
    auto vm = start_qemu();
    ASSERT_TRUE(vm);
    auto id = host_->wait_join(kWait);
    ASSERT_TRUE(id) << id.error().message << "\n" << vm->log();
    vm->process().kill();
    auto left = host_->wait_leave(*id, kWait);
    ASSERT_TRUE(left) << left.error().message << "\nserver log:\n" << server_->log();
    EXPECT_EQ(host_->eventfd_count(*id), 0u);
}

TEST_F(QemuJoin, ServerFdCountReturnsToBaselineAfterQemuLeaves) {
    const int baseline = count_fds(server_->pid());
    ASSERT_GT(baseline, 0);
    auto vm = start_qemu();
    ASSERT_TRUE(vm);
    auto id = host_->wait_join(kWait);
    ASSERT_TRUE(id) << id.error().message << "\n" << vm->log();
    // The count must see the guest at all, or the final check proves nothing.
    EXPECT_GT(count_fds(server_->pid()), baseline);
    vm->process().kill();
    ASSERT_TRUE(host_->wait_leave(*id, kWait));
    // The leave is announced when the server handles the hang-up; its own
    // close may trail by a moment.
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    int now = count_fds(server_->pid());
    while (now != baseline && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        now = count_fds(server_->pid());
    }
    EXPECT_EQ(now, baseline) << server_->log();
}

TEST_F(QemuJoin, QtestSeesBar2SizeEqualToDomainSize) {
    auto vm = start_qemu(/*qtest=*/true);
    ASSERT_TRUE(vm);
    EXPECT_EQ(vm->device().bar2_size(), 1 * MiB);
    EXPECT_EQ(vm->device().msix_vectors(), 2u);
}

// The same attach on a segment of 2 MiB hugepages (an MFD_HUGETLB memfd).
TEST(QemuHugepages, TwoMegabyteDomainJoinsAndShowsItsHeader) {
    MD_SKIP_WITHOUT_QEMU();
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool || pool->available() < 1)
        GTEST_SKIP() << "needs 1 free 2 MiB hugepage; the pool has "
                     << (pool ? std::to_string(pool->available()) : "none (" + pool.error().message + ")")
                     << " available (as root: echo 1 > /proc/sys/vm/nr_hugepages, or more)";
    Server server(domain_config("HugeDom", "2MB", 2, "2M"));
    if (!server.ok()) {
        auto now = sys::hugepage_pool(2 * MiB);
        if (now && now->available() < 1)  // another user took the page since the check above
            GTEST_SKIP() << "the 2 MiB hugepage pool ran dry before memdomaind could take its page";
    }
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto host = HostPeer::connect(server.socket("HugeDom"));
    ASSERT_TRUE(host) << host.error().message;
    EXPECT_EQ(host->header().page_size, 2 * MiB);

    TempDir dir;
    QemuGuestOptions o;
    o.work_dir = dir.path();
    o.name = "huge";
    o.args = doorbell_args(server.socket("HugeDom"), 2);
    auto vm = QemuGuest::start(o);
    ASSERT_TRUE(vm) << vm.error().message;
    auto id = host->wait_join(kWait);
    ASSERT_TRUE(id) << id.error().message;
    auto& dev = (*vm)->device();
    EXPECT_EQ(dev.bar2_size(), 2 * MiB);
    auto magic = (*vm)->qtest().read(dev.bar2(), 8);
    ASSERT_TRUE(magic) << magic.error().message;
    EXPECT_EQ(std::string(magic->begin(), magic->end()), "MEMDOMN1");
}

}  // namespace
}  // namespace memdomain::test
