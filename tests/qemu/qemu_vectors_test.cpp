// What QEMU does when its device's "vectors" differs from the domain's.
//
// The server sends every peer's eventfds once per *domain* vector; QEMU's
// ivshmem (hw/misc/ivshmem.c, process_msg_connect) stores them per peer in
// arrival order, up to the *device's* vector count:
// - device vectors > domain vectors: each peer simply has fewer eventfds than
//   MSI-X vectors. Nothing is reported; the extra MSI-X vectors never fire,
//   and a guest ringing a vector the peer has no eventfd for is dropped.
// - device vectors < domain vectors: every surplus eventfd (our own and every
//   other peer's) is refused with "Too many eventfd received, device has N
//   vectors" on stderr and closed; QEMU keeps running and the first N vectors
//   work. The guest stays attached, so the mismatch is easy to miss: the
//   server cannot detect it (clients never talk), only QEMU's log shows it.
#include <gtest/gtest.h>

#include "host_peer.h"
#include "qemu_guest.h"
#include "server_fixture.h"
#include "server_with_host_peer.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5000ms;
constexpr char kDomain[] = "VecDom";

class QemuVectors : public ServerWithHostPeer {
protected:
    void SetUp() override {
        MD_SKIP_WITHOUT_QEMU();
        ASSERT_NO_FATAL_FAILURE(start_server(domain_config(kDomain, "1MB", 2), kDomain));
    }

    // A qtest guest whose device has `vectors`, joined (seen by the host).
    void start_guest(unsigned vectors) {
        QemuGuestOptions o;
        o.work_dir = dir_.path();
        o.name = "vm";
        o.args = doorbell_args(server_->socket(kDomain), vectors);
        auto r = QemuGuest::start(o);
        ASSERT_TRUE(r) << r.error().message;
        vm_ = std::move(r).value();
        auto id = host_->wait_join(kWait);
        ASSERT_TRUE(id) << id.error().message << "\n" << vm_->log();
        id_ = *id;
    }

    TempDir dir_;
    std::unique_ptr<QemuGuest> vm_;
    std::int64_t id_ = -1;
};

TEST_F(QemuVectors, MoreDeviceVectorsThanDomainJoinsSilentlyAndDomainVectorsWork) {
    ASSERT_NO_FATAL_FAILURE(start_guest(4));
    EXPECT_EQ(vm_->device().msix_vectors(), 4u);
    auto& dev = vm_->device();
    ASSERT_TRUE(host_->ring(id_, 1));
    auto got = dev.wait_vector(1, kWait);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(*got);
    EXPECT_TRUE(vm_->process().running());
    EXPECT_EQ(vm_->log(), "");
}

TEST_F(QemuVectors, FewerDeviceVectorsThanDomainLogsTooManyEventfdsButStaysUp) {
    ASSERT_NO_FATAL_FAILURE(start_guest(1));
    auto& dev = vm_->device();
    EXPECT_EQ(dev.msix_vectors(), 1u);
    // Vector 0 still works. Its delivery also orders the log check: QEMU took
    // the host peer's two eventfds (refusing the second) before its own.
    ASSERT_TRUE(host_->ring(id_, 0));
    auto got = dev.wait_vector(0, kWait);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(*got);
    EXPECT_TRUE(vm_->process().running());
    EXPECT_NE(vm_->log().find("Too many eventfd received, device has 1 vectors"), std::string::npos) << vm_->log();
}

}  // namespace
}  // namespace memdomain::test
