// A VM that powers off is seen as gone (vm-images/scenarios/leave-*.sh):
// the "leaver" VM stays attached until the test sets go=1 on the test board,
// then powers off; QEMU exits and its socket closes. The host peer (this
// test process, socket transport) gets a Left event, the presence bitmap in
// the segment header loses the leaver's bit, and the "watcher" VM sees the
// leaver drop out of peers(). A VM killed outright (SIGKILL to QEMU, no
// poweroff) must be seen as gone just the same.
#include <algorithm>

#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class VmLeaveTest : public VmTest {
protected:
    void SetUp() override {
        VmTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (!image_has("memdomain-info")) GTEST_SKIP() << "the guest image has no memdomain-info (target not built)";
    }

    bool present_in_header(PeerId p) {
        auto h = host_->header();
        return h && header_is_present(&*h, p);
    }

    void run() {
        auto host = attach_host();
        ASSERT_TRUE(host) << host.error().message << "\n" << server_->log();
        host_ = std::make_unique<Domain>(std::move(*host));
        watcher_ = boot("watcher", "leave-watch");
        leaver_ = boot("leaver", "leave-announce");
        ASSERT_TRUE(watcher_->wait_for_text("MDTEST-KV: watching=", 120s, {leaver_.get()}))
            << "the watcher never saw the leaver\n" << watcher_->describe() << leaver_->describe();
        const long long watched = number_after(watcher_->serial(), "MDTEST-KV: watching=");
        leaver_id_ = number_after(leaver_->serial(), "MDTEST-KV: self=");
        ASSERT_GE(leaver_id_, 0) << leaver_->describe();
        ASSERT_EQ(watched, leaver_id_) << "the watcher watches someone else";
        leaver_present_before_ = present_in_header(static_cast<PeerId>(leaver_id_));
        (void)host_->events();  // from here on, only what the power-off causes

        const auto go = Clock::now();
        board_word(board(*host_)->go).store(1, std::memory_order_release);
        ASSERT_TRUE(leaver_->wait_exit(60s)) << "the leaver did not power off\n" << leaver_->describe();
        report_times(*leaver_);
        ASSERT_TRUE(passed(*leaver_));
        eventually(10s, [&] {
            for (const auto& e : host_->events())
                if (e.kind == PeerEvent::Kind::Left && e.peer == static_cast<PeerId>(leaver_id_)) host_saw_left_ = true;
            return host_saw_left_;
        });
        if (host_saw_left_)
            metric("go=1 to host Left event (guest poweroff included)",
                   std::chrono::duration<double>(Clock::now() - go).count(), "s");
        leaver_present_after_ = present_in_header(static_cast<PeerId>(leaver_id_));
        ASSERT_TRUE(watcher_->wait_exit(60s)) << "the watcher did not power off\n" << watcher_->describe();
        report_times(*watcher_);
    }

    std::unique_ptr<Domain> host_;
    std::unique_ptr<Vm> watcher_, leaver_;
    long long leaver_id_ = -1;
    bool host_saw_left_ = false, leaver_present_before_ = false, leaver_present_after_ = true;
};

TEST_F(VmLeaveTest, HostPeerGetsLeftEventWhenVmPowersOff) {
    ASSERT_NO_FATAL_FAILURE(run());
    EXPECT_TRUE(host_saw_left_) << "no Left event for peer " << leaver_id_ << "\n" << server_->log();
}

TEST_F(VmLeaveTest, HeaderPresenceBitClearsWhenVmPowersOff) {
    ASSERT_NO_FATAL_FAILURE(run());
    EXPECT_TRUE(leaver_present_before_) << "peer " << leaver_id_ << " was never marked present";
    EXPECT_FALSE(leaver_present_after_) << "peer " << leaver_id_ << " still marked present after power-off";
    EXPECT_TRUE(present_in_header(host_->self())) << "the host peer's own bit went too";
}

TEST_F(VmLeaveTest, OtherVmSeesPoweredOffVmLeavePeers) {
    ASSERT_NO_FATAL_FAILURE(run());
    ASSERT_TRUE(passed(*watcher_));
    EXPECT_EQ(watcher_->report().get("saw_leave"), std::to_string(leaver_id_));
}

TEST_F(VmLeaveTest, KilledVmIsSeenAsGoneByHostPeer) {
    auto host = attach_host();
    ASSERT_TRUE(host) << host.error().message << "\n" << server_->log();
    // Holds on to the domain until go=1, which never comes: it dies attached.
    auto vm = boot("killed", "leave-announce");
    ASSERT_TRUE(vm->wait_for_text("MDTEST-KV: wrote_token=", 90s)) << vm->describe();
    const long long id = number_after(vm->serial(), "MDTEST-KV: self=");
    ASSERT_GE(id, 0) << vm->describe();
    const auto peer = static_cast<PeerId>(id);
    auto peers = host->peers();
    ASSERT_NE(std::find(peers.begin(), peers.end(), peer), peers.end()) << "the VM never showed as a peer";

    const auto kill_time = Clock::now();
    vm->kill();
    bool left = false;
    eventually(10s, [&] {
        for (const auto& e : host->events())
            if (e.kind == PeerEvent::Kind::Left && e.peer == peer) left = true;
        return left;
    });
    EXPECT_TRUE(left) << "no Left event for killed peer " << id << "\n" << server_->log();
    if (left) metric("SIGKILL of QEMU to host Left event", std::chrono::duration<double>(Clock::now() - kill_time).count(), "s");
    auto h = host->header();
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_FALSE(header_is_present(&*h, peer)) << "killed peer " << id << " still marked present";
}

}  // namespace
}  // namespace memdomain::test
