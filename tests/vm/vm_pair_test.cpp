// Two VMs on one domain (vm-images/scenarios/pair.sh): each opens it BY NAME,
// they get distinct peer ids, each reads the token the other wrote, each
// rings the other and receives the ring as a vfio MSI-X interrupt, and one
// pings the other with memdomain-ping (the VM-to-VM round trip, under TCG).
// The test process is attached too, as a host peer, and starts the ping
// phase through the test board once the pong VM is listening.
#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

class VmPairTest : public VmTest {
protected:
    void SetUp() override {
        VmTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (!image_has("memdomain-info") || !image_has("memdomain-ping"))
            GTEST_SKIP() << "the guest image has no memdomain-info/memdomain-ping (targets not built)";
    }

    // Boots both VMs and runs the scenario to the end.
    void run_pair() {
        auto host = attach_host();
        ASSERT_TRUE(host) << host.error().message << "\n" << server_->log();
        a_ = boot("vm-a", "pair", {"vms=2", "count=20"});
        b_ = boot("vm-b", "pair", {"vms=2", "count=20"});
        Vm* pong = nullptr;
        const bool ready = eventually(120s, [&] {
            for (Vm* vm : {a_.get(), b_.get()})
                if (vm->serial().find("ready") != std::string::npos &&
                    vm->serial().find("pong: domain") != std::string::npos)
                    pong = vm;
            // Either VM gone before a pong is ready: the other waits in vain.
            return pong != nullptr || a_->has_exited() || b_->has_exited();
        });
        ASSERT_TRUE(ready && pong) << "no VM reached \"pong: ... ready\"\n" << a_->describe() << b_->describe();
        board_word(board(*host)->go).store(2, std::memory_order_release);
        const bool exited = a_->wait_exit(90s) && b_->wait_exit(30s);
        report_times(*a_);
        report_times(*b_);
        ASSERT_TRUE(exited) << "a guest did not power off\n" << a_->describe() << b_->describe();
        ASSERT_TRUE(passed(*a_));
        ASSERT_TRUE(passed(*b_));
        ra_ = a_->report();
        rb_ = b_->report();
    }

    std::unique_ptr<Vm> a_, b_;
    SerialReport ra_, rb_;
};

TEST_F(VmPairTest, EachVmOpensTheDomainByNameAndReadsTheTokenTheOtherWrote) {
    ASSERT_NO_FATAL_FAILURE(run_pair());
    const std::string self_a = ra_.get("self"), self_b = rb_.get("self");
    ASSERT_FALSE(self_a.empty());
    ASSERT_FALSE(self_b.empty());
    EXPECT_NE(self_a, self_b) << "two VMs got the same peer id";
    EXPECT_EQ(ra_.get("info_self"), self_a) << "memdomain-info and guest-scenario disagree on the VM's id";
    EXPECT_FALSE(rb_.get("wrote_token").empty());
    EXPECT_EQ(ra_.get("read_from_" + self_b), rb_.get("wrote_token"));
    EXPECT_EQ(rb_.get("read_from_" + self_a), ra_.get("wrote_token"));
}

TEST_F(VmPairTest, EachVmReceivesTheOthersDoorbellAsVfioMsixInterrupt) {
    ASSERT_NO_FATAL_FAILURE(run_pair());
    for (const SerialReport* r : {&ra_, &rb_}) {
        EXPECT_EQ(r->get("info_interrupt_mode"), "vfio-msix");
        EXPECT_EQ(r->get("interrupt_mode"), "vfio-msix");
        EXPECT_GE(std::atoi(r->get("doorbell_received").c_str()), 1);
        EXPECT_EQ(r->get("exchange"), "ok");
    }
    // The VM-to-VM round trip, measured by the pinging VM's memdomain-ping.
    const SerialReport& pinger = ra_.get("ping_role") == "ping" ? ra_ : rb_;
    ASSERT_EQ(pinger.get("vm_ping_round_trips"), "20");
    metric("VM-to-VM doorbell round trip, TCG, min", std::atof(pinger.get("vm_ping_min_us").c_str()), "us");
    metric("VM-to-VM doorbell round trip, TCG, median", std::atof(pinger.get("vm_ping_median_us").c_str()), "us");
}

}  // namespace
}  // namespace memdomain::test
