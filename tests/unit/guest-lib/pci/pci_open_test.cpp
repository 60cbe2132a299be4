// Opening and listing through the pci transport: what open(name) reports
// matches the header the server wrote, the device is enabled, the listing
// shows it, and Auto falls back to PCI when no socket offers the name.
#include <cstring>

#include "pci_fixture.h"

namespace memdomain::test {
namespace {

TEST_F(PciTest, OpenByNameReportsTheSegmentFromTheHeader) {
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;
    const SegmentHeader& h = guest_->header();
    EXPECT_EQ(d->name(), kDomain);
    EXPECT_EQ(d->transport(), TransportKind::Pci);
    EXPECT_EQ(d->vectors(), h.vectors);
    EXPECT_EQ(d->generation(), h.generation);
    EXPECT_EQ(d->page_size(), h.page_size);
    EXPECT_EQ(d->access(), Access::ReadWrite);
    ASSERT_EQ(d->segments().size(), 1u);
    const SegmentView& s = d->segments().front();
    EXPECT_EQ(s.size, h.segment_size);
    EXPECT_EQ(s.data_size, h.data_size);
    EXPECT_EQ(s.data - s.base, static_cast<std::ptrdiff_t>(h.data_offset));
    auto again = d->header();
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(std::memcmp(again->domain_name, h.domain_name, sizeof h.domain_name), 0);
}

TEST_F(PciTest, SelfIsTheIvPositionRegister) {
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->self(), guest_->id());
}

TEST_F(PciTest, OpenWritesOneToADisabledDevicesEnable) {
    ASSERT_EQ(read_file(sysfs_.device_dir(kAddress) + "/enable"), "0\n");
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(read_file(sysfs_.device_dir(kAddress) + "/enable"), "1\n");
}

TEST_F(PciTest, InterruptModeIsPollingWithoutVfio) {
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->interrupt_mode(), InterruptMode::Polling);
    EXPECT_EQ(d->doorbell_fd(0), -1);
    EXPECT_EQ(d->event_fd(), -1);
}

TEST_F(PciTest, UnknownNameIsEnoentNamingTheSysfsRoot) {
    auto d = Domain::open("NoSuchDomain", pci_options());
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENOENT);
    EXPECT_NE(d.error().message.find(sysfs_.root()), std::string::npos) << d.error().message;
}

TEST_F(PciTest, EmptySysfsRootIsEnoent) {
    TempDir empty;
    OpenOptions o = pci_options();
    o.sysfs_root = empty.path();
    auto d = Domain::open(kDomain, o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENOENT);
}

TEST_F(PciTest, SysfsRootComesFromTheEnvironmentWhenNotGiven) {
    OpenOptions o = pci_options();
    o.sysfs_root.clear();
    ::setenv("MEMDOMAIN_SYSFS_ROOT", sysfs_.root().c_str(), 1);
    auto d = Domain::open(kDomain, o);
    ::unsetenv("MEMDOMAIN_SYSFS_ROOT");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->self(), guest_->id());
}

TEST_F(PciTest, ListPciDomainsListsTheDevice) {
    auto l = list_domains(pci_options());
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 1u);
    EXPECT_EQ((*l)[0].name, kDomain);
    EXPECT_EQ((*l)[0].transport, TransportKind::Pci);
    EXPECT_EQ((*l)[0].location, kAddress);
    EXPECT_EQ((*l)[0].segment, 0u);
}

TEST_F(PciTest, ListPciDomainsSkipsAnInvalidDevice) {
    sysfs_.add_bare_device("0000:00:05.0");  // no resource files at all
    auto l = list_domains(pci_options());
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 1u);
    EXPECT_EQ((*l)[0].location, kAddress);
}

TEST_F(PciTest, AutoFallsBackToPciWhenTheSocketDirHasNoSuchSocket) {
    TempDir no_sockets;
    OpenOptions o;
    o.transport = TransportKind::Auto;
    o.socket_dir = no_sockets.path();
    o.sysfs_root = sysfs_.root();
    auto d = Domain::open(kDomain, o);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->transport(), TransportKind::Pci);
    EXPECT_EQ(d->self(), guest_->id());
}

}  // namespace
}  // namespace memdomain::test
