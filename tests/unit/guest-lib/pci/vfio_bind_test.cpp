// The vfio bind helper writes what the kernel wants, in the order it wants
// (driver_override, unbind from the current driver, drivers_probe), and says
// in words when the device did not end up on vfio-pci. Run against a
// sysfs-shaped tree: a real bind needs a VM with an IOMMU (tests/vm).
#include <gtest/gtest.h>

#include <filesystem>

#include "ivshmem_guest.h"
#include "pci/vfio_bind.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

constexpr const char* kDev = "0000:00:04.0";

class VfioBind : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sysfs_.add_bare_device(kDev);
        write_text_file(dir_ + "/driver_override", "(null)\n");
        write_text_file(sysfs_.root() + "/bus/pci/drivers_probe", "");
    }
    // A device currently bound to `driver`: driver -> ../../drivers/<driver>.
    void bind_to(const std::string& driver) {
        const std::string drv = sysfs_.root() + "/bus/pci/drivers/" + driver;
        std::filesystem::create_directories(drv);
        write_text_file(drv + "/unbind", "");
        std::filesystem::create_symlink(drv, dir_ + "/driver");
    }
    TempDir tmp_;
    FakeSysfs sysfs_{tmp_.path()};
    std::string dir_;
};

TEST_F(VfioBind, WritesOverrideUnbindAndProbe) {
    bind_to("ivshmem_driver");
    auto st = pci::bind_to_vfio_pci(sysfs_.root(), kDev);
    // Nothing rebinds in a plain directory tree, so the helper must say so.
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ENODEV);
    EXPECT_NE(st.error().message.find("bound to ivshmem_driver instead"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("vfio-pci is not loaded"), std::string::npos) << st.error().message;
    EXPECT_EQ(read_file(dir_ + "/driver_override").substr(0, 8), "vfio-pci");
    EXPECT_EQ(read_file(sysfs_.root() + "/bus/pci/drivers/ivshmem_driver/unbind"), kDev);
    EXPECT_EQ(read_file(sysfs_.root() + "/bus/pci/drivers_probe"), kDev);
}

TEST_F(VfioBind, ADeviceAlreadyOnVfioPciIsLeftAlone) {
    bind_to("vfio-pci");
    auto st = pci::bind_to_vfio_pci(sysfs_.root(), kDev);
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(read_file(dir_ + "/driver_override"), "(null)\n");
    EXPECT_EQ(read_file(sysfs_.root() + "/bus/pci/drivers_probe"), "");
}

TEST_F(VfioBind, AnUnknownDeviceIsEnoent) {
    auto st = pci::bind_to_vfio_pci(sysfs_.root(), "0000:00:1f.7");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ENOENT);
}

}  // namespace
}  // namespace memdomain::test
