// A VM and a host process ring each other (vm-images/scenarios/
// host-pingpong.sh): the host's memdomain-ping (socket transport) pings the
// VM's memdomain-ping pong (pci transport, vfio MSI-X), then the VM pings a
// host memdomain-ping pong. Both round trips are reported (TCG guest).
#include <sys/wait.h>

#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPings = 20;

class VmHostPingTest : public VmTest {
protected:
    void SetUp() override {
        VmTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (!image_has("memdomain-info") || !image_has("memdomain-ping"))
            GTEST_SKIP() << "the guest image has no memdomain-info/memdomain-ping (targets not built)";
        if (host_ping_path().empty()) GTEST_SKIP() << "the host memdomain-ping target is not built";
    }

    Process host_ping_process(const std::vector<std::string>& role_args, const std::string& log) {
        std::vector<std::string> argv = {host_ping_path(), kVmDomain, "--transport", "socket",
                                         "--socket-dir", server_->socket_dir(), "--timeout-ms", "5000"};
        argv.insert(argv.end(), role_args.begin(), role_args.end());
        Process::Options o;
        o.log_path = work_.file(log);
        return Process(argv, o);
    }

    // Runs the whole scenario; results in the members.
    void run() {
        // The host pong first, so it listens before the VM can ping it.
        host_pong_ = host_ping_process({"--role", "pong", "--count", std::to_string(kPings)}, "host-pong.log");
        ASSERT_TRUE(eventually(10s, [&] { return host_pong_.log().find("ready") != std::string::npos; }))
            << "host pong not ready: " << host_pong_.log() << "\n" << server_->log();
        const long long host_peer = number_after(host_pong_.log(), "self ");
        ASSERT_GE(host_peer, 0) << host_pong_.log();

        vm_ = boot("vm", "host-pingpong", {"host_peer=" + std::to_string(host_peer), "count=" + std::to_string(kPings)});
        const std::string ready = std::string("pong: domain ") + kVmDomain + ", self ";
        ASSERT_TRUE(vm_->wait_for_text(ready, 90s)) << "the VM's pong never got ready\n" << vm_->describe();
        ASSERT_TRUE(vm_->wait_for_text("ready", 10s)) << vm_->describe();
        const long long vm_peer = number_after(vm_->serial(), ready);
        ASSERT_GE(vm_peer, 0) << vm_->describe();

        Process ping = host_ping_process({"--role", "ping", "--peer", std::to_string(vm_peer), "--count",
                                          std::to_string(kPings)},
                                         "host-ping.log");
        auto st = ping.wait(60s);
        host_ping_status_ = st ? *st : -1;
        host_ping_log_ = ping.log();

        const bool exited = vm_->wait_exit(90s);
        report_times(*vm_);
        auto pong_st = host_pong_.wait(30s);
        host_pong_status_ = pong_st ? *pong_st : -1;
        ASSERT_TRUE(exited) << "the VM did not power off\n" << vm_->describe();
        report_ = vm_->report();
    }

    Process host_pong_;
    std::unique_ptr<Vm> vm_;
    int host_ping_status_ = -1, host_pong_status_ = -1;
    std::string host_ping_log_;
    SerialReport report_;
};

// "ping: 20 round trips, min A us, median B us, max C us" -> B
double median_us(const std::string& log) {
    auto at = log.find("median ");
    return at == std::string::npos ? -1 : std::atof(log.c_str() + at + 7);
}

TEST_F(VmHostPingTest, HostProcessPingsVmPongThroughVfioMsix) {
    ASSERT_NO_FATAL_FAILURE(run());
    ASSERT_TRUE(WIFEXITED(host_ping_status_) && WEXITSTATUS(host_ping_status_) == 0)
        << "host ping failed (status " << host_ping_status_ << "):\n" << host_ping_log_ << vm_->describe();
    EXPECT_NE(host_ping_log_.find(std::to_string(kPings) + " round trips"), std::string::npos) << host_ping_log_;
    EXPECT_EQ(report_.get("info_interrupt_mode"), "vfio-msix");
    metric("host-to-VM doorbell round trip, TCG guest, median", median_us(host_ping_log_), "us");
}

TEST_F(VmHostPingTest, VmPingsHostProcessPong) {
    ASSERT_NO_FATAL_FAILURE(run());
    ASSERT_TRUE(passed(*vm_));
    EXPECT_EQ(report_.get("vm_to_host_round_trips"), std::to_string(kPings));
    EXPECT_TRUE(WIFEXITED(host_pong_status_) && WEXITSTATUS(host_pong_status_) == 0)
        << "host pong (status " << host_pong_status_ << "):\n" << host_pong_.log();
    EXPECT_NE(host_pong_.log().find("answered " + std::to_string(kPings)), std::string::npos) << host_pong_.log();
    metric("VM-to-host doorbell round trip, TCG guest, median",
           std::atof(report_.get("vm_to_host_median_us").c_str()), "us");
}

}  // namespace
}  // namespace memdomain::test
