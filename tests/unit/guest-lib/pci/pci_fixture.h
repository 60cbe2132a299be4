// The common setting of the pci transport tests: a real memdomaind serving
// a 4K-page domain "PciMem" (2 vectors), one ivshmem "guest" attached to it
// (IvshmemGuest: what QEMU would be), and a sysfs-shaped tree with that
// guest's device at 0000:00:04.0, as a guest kernel would show it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ivshmem_guest.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

namespace memdomain::test {

inline const std::string kPciConfig = domain_config("PciMem");
inline constexpr const char* kDomain = "PciMem";
inline constexpr const char* kAddress = "0000:00:04.0";

class PciTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        guest_ = std::make_unique<IvshmemGuest>(server_.socket(kDomain));
        ASSERT_TRUE(guest_->ok()) << guest_->error();
        sysfs_.add_device(kAddress, *guest_);
    }
    OpenOptions pci_options() const {
        OpenOptions o;
        o.transport = TransportKind::Pci;
        o.sysfs_root = sysfs_.root();
        return o;
    }
    OpenOptions socket_options() const {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = server_.socket_dir();
        o.timeout = std::chrono::milliseconds(3000);
        return o;
    }
    Result<Domain> open_pci() const { return Domain::open(kDomain, pci_options()); }
    Result<Domain> open_socket() const { return Domain::open(kDomain, socket_options()); }

    Server server_{kPciConfig};
    TempDir tree_;
    FakeSysfs sysfs_{tree_.path() + "/sys"};
    std::unique_ptr<IvshmemGuest> guest_;
};

}  // namespace memdomain::test
