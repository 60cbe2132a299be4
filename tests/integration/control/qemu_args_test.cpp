// What qemu-args hands out actually attaches a VM: a stock QEMU (paused,
// TCG) started with exactly those arguments joins the domain (a host peer
// sees it), and the read-only variant realizes its device on the namespace
// entry. QEMU is killed by its PID, pass or fail.
#include <gtest/gtest.h>

#include <thread>

#include "control_connection.h"
#include "host_peer.h"
#include "qemu_process.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

class QemuArgs : public ::testing::Test {
protected:
    void SetUp() override {
        MD_SKIP_WITHOUT_QEMU();
        server_ = std::make_unique<Server>(domain_config("VmDom", "1MB", 2));
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        auto c = ControlConnection::connect(server_->socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        auto r = c->call("qemu-args", "VmDom");
        ASSERT_TRUE(r && r->at("ok").get<bool>()) << (r ? r->dump() : r.error().message);
        args_ = r->at("result");
    }
    QemuProcess start(const std::string& variant) {
        QemuOptions o;
        o.log_path = dir_.file(variant + ".log");
        o.args = args_.at(variant).get<std::vector<std::string>>();
        return QemuProcess(o);
    }
    TempDir dir_;
    std::unique_ptr<Server> server_;
    nlohmann::json args_;
};

TEST_F(QemuArgs, QemuStartedWithTheDoorbellArgsJoinsTheDomain) {
    auto host = HostPeer::connect(server_->socket("VmDom"));
    ASSERT_TRUE(host) << host.error().message;
    QemuProcess vm = start("doorbell");
    auto id = host->wait_join(5000ms);
    ASSERT_TRUE(id) << id.error().message << "\n" << vm.command_line() << "\nQEMU log:\n" << vm.log();
    ASSERT_TRUE(host->drain(100ms));
    EXPECT_EQ(host->eventfd_count(*id), 2u) << "one eventfd per vector";
    EXPECT_TRUE(vm.running()) << vm.log();
    vm.kill();
    EXPECT_TRUE(host->wait_leave(*id, 5000ms));
}

TEST_F(QemuArgs, QemuStartedWithTheReadonlyArgsRealizesThePlainDevice) {
    QemuProcess vm = start("readonly");
    // A bad path, size or option stops QEMU at once with a message.
    std::this_thread::sleep_for(500ms);
    EXPECT_TRUE(vm.running()) << vm.command_line() << "\nQEMU log:\n" << vm.log();
    EXPECT_EQ(vm.log(), "");
}

}  // namespace
}  // namespace memdomain::test
