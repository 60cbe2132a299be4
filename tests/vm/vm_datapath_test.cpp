// The data path with an end in a VM (vm-images/scenarios/datapath.sh runs
// memdomain-bench over the pci transport): a host process streams to a VM,
// two VMs stream zero-copy through a channel in the ivshmem BAR, and two VMs
// ping-pong with doorbell sleeps (vfio MSI-X). Every payload is checked by
// the receiving end; lost and corrupt must be 0. Numbers are TCG guests'.
#include <nlohmann/json.hpp>

#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class VmDatapathTest : public VmTest {
protected:
    void SetUp() override {
        VmTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // Not a skip: CI builds both (the guest one needs libboost-program-options-dev's .a).
        ASSERT_TRUE(image_has("memdomain-bench"))
            << "the guest image has no memdomain-bench: memdomain-bench-guest was not built (libboost_program_options.a?)";
        ASSERT_FALSE(host_bench_path().empty()) << "the host memdomain-bench target is not built";
    }
    static std::string host_bench_path() {
#ifdef MEMDOMAIN_HOST_BENCH
        return MEMDOMAIN_HOST_BENCH;
#else
        return "";
#endif
    }
    // The guest's memdomain-bench result, after it powered off.
    ::testing::AssertionResult guest_result(Vm& vm, json* out) {
        if (!vm.wait_exit(180s)) return ::testing::AssertionFailure() << "no poweroff\n" << vm.describe();
        report_times(vm);
        const std::string text = vm.report().get("bench_json");
        try {
            *out = json::parse(text);
        } catch (...) {
            return ::testing::AssertionFailure() << "no bench_json\n" << vm.describe();
        }
        if (!vm.report().passed()) return ::testing::AssertionFailure() << vm.describe();
        return ::testing::AssertionSuccess();
    }
};

TEST_F(VmDatapathTest, AHostProcessStreamsToAVmWithDoorbellsAndLosesNothing) {
    Process::Options o;
    o.log_path = work_.file("host-tx.log");
    Process tx({host_bench_path(), "tx", "--domain", kVmDomain, "--transport", "socket", "--socket-dir",
                server_->socket_dir(), "--count", "3000", "--wait", "doorbell", "--slots", "64", "--json",
                // One message at a time, up to 300 us apart: the VM drains
                // the ring and sleeps between them, so the host must ring it.
                "--batch", "1", "--jitter-ns", "300000", "--timeout-ms", "120000"},
               o);
    auto vm = boot("vm", "datapath", {"role=rx", "wait=doorbell", "timeout=150"});
    json rx;
    ASSERT_TRUE(guest_result(*vm, &rx));
    auto st = tx.wait(30s);
    ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << tx.log();
    EXPECT_EQ(rx["received"], 3000);
    EXPECT_EQ(rx["sent"], 3000);  // announced by the host's END
    EXPECT_EQ(rx["lost"], 0);
    EXPECT_EQ(rx["corrupt"], 0);
    // The VM slept on its doorbell and the host rang it through the server's
    // eventfd, QEMU and MSI-X.
    EXPECT_GT(rx["rx"]["sleeps"].get<int>(), 0) << rx.dump();
    const std::string log = tx.log();
    const json host = json::parse(log.substr(log.rfind("\n{") + 1));
    EXPECT_GT(host["tx"]["wakeups"].get<int>(), 0) << log;
    metric("host-to-VM channel, 64 B copy, doorbell, TCG guest", rx["mpps"].get<double>() * 1e6, "msg/s");
}

TEST_F(VmDatapathTest, TwoVmsStreamZeroCopyThroughAChannelInTheBar) {
    auto a = boot("vm-tx", "datapath", {"role=tx", "count=5000", "mode=zero-copy", "size=1500", "wait=poll",
                                        "timeout=150"});
    auto b = boot("vm-rx", "datapath", {"role=rx", "mode=zero-copy", "size=1500", "wait=poll", "timeout=150"});
    json tx, rx;
    ASSERT_TRUE(guest_result(*b, &rx));
    ASSERT_TRUE(guest_result(*a, &tx));
    EXPECT_EQ(tx["sent"], 5000);
    EXPECT_EQ(rx["received"], 5000);
    EXPECT_EQ(rx["lost"], 0);
    EXPECT_EQ(rx["corrupt"], 0);
    EXPECT_EQ(tx["tx"]["invalid"], 0);  // every return matched a buffer in flight
    metric("VM-to-VM channel, 1500 B zero-copy, busy poll, TCG guests", rx["mpps"].get<double>() * 1e6, "msg/s");
}

TEST_F(VmDatapathTest, TwoVmsPingPongWithDoorbellSleeps) {
    auto a = boot("vm-ping", "datapath", {"role=ping", "count=300", "wait=doorbell", "timeout=150"});
    auto b = boot("vm-pong", "datapath", {"role=pong", "wait=doorbell", "timeout=150"});
    json ping, pong;
    ASSERT_TRUE(guest_result(*a, &ping));
    ASSERT_TRUE(guest_result(*b, &pong));
    EXPECT_EQ(ping["received"], 300);
    EXPECT_EQ(ping["corrupt"], 0);
    EXPECT_EQ(pong["received"], 300);
    EXPECT_EQ(pong["corrupt"], 0);
    // Doorbells were delivered both ways (each end slept and was rung).
    EXPECT_GT(ping["ping"]["wakeups"].get<int>(), 0) << ping.dump();
    EXPECT_GT(pong["pong"]["wakeups"].get<int>(), 0) << pong.dump();
    metric("VM-to-VM channel round trip, doorbell, TCG, p50", ping["rtt_ns"]["p50"].get<double>() / 1000, "us");
}

}  // namespace
}  // namespace memdomain::test
