// ivshmem-plain inside a guest: the read-only VM attach (QEMU maps the
// server's namespace entry with memory-backend-file,readonly=on and shows it
// as ivshmem-plain: no MSI-X, no BAR1, IVPosition 0). The library must see a
// read-only observer without a peer id, map the memory read-only, refuse
// doorbells clearly, and still follow the peers. The tree's device has the
// config space QEMU 7.2 gives ivshmem-plain (no capability list) and its
// resource2 is an O_RDONLY reopen of a live domain's memfd.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/memdomain.h"
#include "pci/device_model.h"
#include "pci_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPlainAddress = "0000:00:05.0";

class PciObserver : public PciTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(PciTest::SetUp());
        auto ro = sys::reopen(guest_->memfd(), O_RDONLY);
        ASSERT_TRUE(ro) << ro.error().message;
        read_only_ = std::move(*ro);
        plain_.add_plain_device(kPlainAddress, read_only_.get());
    }
    OpenOptions plain_options() const {
        OpenOptions o;
        o.transport = TransportKind::Pci;
        o.sysfs_root = plain_.root();
        return o;
    }
    Result<Domain> open_plain() const { return Domain::open(kDomain, plain_options()); }

    sys::UniqueFd read_only_;
    TempDir plain_tree_;
    FakeSysfs plain_{plain_tree_.path() + "/sys"};
};

// The permissions of the mapping that holds `p`, from /proc/self/maps.
std::string mapping_permissions(const void* p) {
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    std::istringstream maps(read_file("/proc/self/maps"));
    for (std::string line; std::getline(maps, line);) {
        std::uintptr_t lo = 0, hi = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && at >= lo && at < hi) return perms;
    }
    return "(unmapped)";
}

TEST_F(PciObserver, PlainDeviceOpensAsAReadOnlyObserverWithoutAPeerId) {
    ASSERT_EQ(guest_->header().access, static_cast<std::uint32_t>(SegmentAccess::ReadWrite))
        << "the header must say R/W, so that R/O comes from the device";
    auto d = open_plain();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->has_peer_id());
    EXPECT_EQ(d->peer_id(), std::nullopt);
    EXPECT_EQ(d->self(), kNoPeerId) << "IVPosition 0 of a plain device is not our id";
    EXPECT_EQ(d->interrupt_mode(), InterruptMode::None);
    EXPECT_EQ(d->access(), Access::ReadOnly);
    EXPECT_EQ(d->segments()[0].access, Access::ReadOnly);
    EXPECT_EQ(d->doorbell_fd(0), -1);
}

// QEMU drops a plain guest's writes without a fault: the library maps the
// BAR read-only so a stray write faults in the guest instead of vanishing.
TEST_F(PciObserver, ObserverMapsTheMemoryReadOnly) {
    auto d = open_plain();
    ASSERT_TRUE(d) << d.error().message;
    const std::string perms = mapping_permissions(d->data());
    EXPECT_EQ(perms.substr(0, 2), "r-") << perms;
}

// Even a plain device whose BAR the guest could open read-write is mapped
// read-only: the guest cannot know whether the host keeps its writes.
TEST_F(PciObserver, PlainDeviceIsReadOnlyEvenWhenItsBarOpensReadWrite) {
    TempDir tree;
    FakeSysfs rw(tree.path() + "/sys");
    rw.add_plain_device(kPlainAddress, guest_->memfd());
    OpenOptions o = plain_options();
    o.sysfs_root = rw.root();
    auto d = Domain::open(kDomain, o);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->access(), Access::ReadOnly);
    EXPECT_EQ(mapping_permissions(d->data()).substr(0, 2), "r-");
}

TEST_F(PciObserver, ObserverSeesAPeersWritesLive) {
    auto d = open_plain();
    ASSERT_TRUE(d) << d.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    std::memcpy(sock->data(), "first", 5);
    EXPECT_EQ(std::memcmp(d->data(), "first", 5), 0);
    std::memcpy(sock->data(), "again", 5);
    EXPECT_EQ(std::memcmp(d->data(), "again", 5), 0);
}

TEST_F(PciObserver, NotifyAndWaitAreEnotsupSayingWhy) {
    auto d = open_plain();
    ASSERT_TRUE(d) << d.error().message;
    auto st = d->notify(guest_->id(), 0);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ENOTSUP);
    EXPECT_NE(st.error().message.find("ivshmem-plain"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find(kPlainAddress), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("observer"), std::string::npos) << st.error().message;
    auto w = d->wait(0, 10ms);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().sys, ENOTSUP);
    // Nothing was written to the registers: a plain device has no doorbell.
    EXPECT_EQ(plain_.read_register(kPlainAddress, ivshmem::kRegDoorbell), 0u);
}

// Without a peer id of its own, an observer lists every attached peer
// (peer 0 included: IVPosition 0 is somebody else's id) and follows joins.
TEST_F(PciObserver, ObserverFollowsEveryPeer) {
    auto d = open_plain();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->peers(), std::vector<PeerId>{guest_->id()});
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    std::vector<PeerEvent> seen;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
        seen = d->events();
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].kind, PeerEvent::Kind::Joined);
    EXPECT_EQ(seen[0].peer, sock->self());
}

TEST_F(PciObserver, CApiSaysObserver) {
    md_open_options o;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_PCI;
    const std::string root = plain_.root();
    o.sysfs_root = root.c_str();
    md_domain* d = nullptr;
    ASSERT_EQ(md_open(kDomain, &o, &d), 0) << md_last_error();
    EXPECT_EQ(md_has_peer_id(d), 0);
    EXPECT_EQ(md_self(d), MD_NO_PEER_ID);
    EXPECT_EQ(md_interrupt_mode(d), MD_INTERRUPT_NONE);
    EXPECT_EQ(md_access(d), MD_ACCESS_RO);
    EXPECT_EQ(md_reader_tid(d), -1);
    EXPECT_EQ(md_notify(d, guest_->id(), 0), -ENOTSUP);
    EXPECT_NE(std::string(md_last_error()).find("ivshmem-plain"), std::string::npos) << md_last_error();
    EXPECT_EQ(md_wait(d, 0, 0), -ENOTSUP);
    md_close(d);
}

// The doorbell device next to it is still a peer with its id.
TEST_F(PciObserver, DoorbellDeviceIsStillAPeer) {
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->has_peer_id());
    EXPECT_EQ(d->peer_id(), std::optional<PeerId>(guest_->id()));
    EXPECT_EQ(d->interrupt_mode(), InterruptMode::Polling);
    EXPECT_EQ(d->access(), Access::ReadWrite);
}

// --- how the model is decided (device_model.h) -----------------------------

TEST_F(PciObserver, UnprivilegedConfigReadWithoutBar1IsPlain) {
    // Without CAP_SYS_ADMIN sysfs gives the first 64 bytes: the capability
    // list is out of reach, so BAR1's absence decides.
    plain_.write_config(kPlainAddress, true, 64);
    auto m = pci::detect_ivshmem_model(plain_.device_dir(kPlainAddress));
    EXPECT_EQ(m.model, pci::IvshmemModel::Plain) << m.why;
}

TEST_F(PciObserver, UnprivilegedConfigReadWithBar1IsDoorbell) {
    sysfs_.write_config(kAddress, true, 64);
    auto m = pci::detect_ivshmem_model(sysfs_.device_dir(kAddress));
    EXPECT_EQ(m.model, pci::IvshmemModel::Doorbell) << m.why;
}

TEST_F(PciObserver, MsixCapabilityMeansDoorbellEvenWithoutBar1File) {
    plain_.write_config(kPlainAddress, true);
    auto m = pci::detect_ivshmem_model(plain_.device_dir(kPlainAddress));
    EXPECT_EQ(m.model, pci::IvshmemModel::Doorbell) << m.why;
    EXPECT_NE(m.why.find("MSI-X"), std::string::npos) << m.why;
}

TEST(IvshmemModel, ACapabilityListThatLoopsEndsTheWalk) {
    std::string c(256, '\0');
    c[0x06] = 0x10;
    c[0x34] = 0x40;
    c[0x40] = 0x05, c[0x41] = 0x48;  // MSI, next 0x48
    c[0x48] = 0x09, c[0x49] = 0x40;  // vendor specific, next: back to 0x40
    bool msix = true;
    std::string why;
    ASSERT_TRUE(pci::config_has_msix(c, &msix, &why));
    EXPECT_FALSE(msix) << why;
}

TEST(IvshmemModel, APointerIntoTheStandardHeaderEndsTheWalk) {
    std::string c(256, '\0');
    c[0x06] = 0x10;
    c[0x34] = 0x08;  // capabilities never live below 0x40
    bool msix = true;
    std::string why;
    ASSERT_TRUE(pci::config_has_msix(c, &msix, &why));
    EXPECT_FALSE(msix);
}

TEST(IvshmemModel, ShortConfigWithACapabilityListDecidesNothing) {
    std::string c(64, '\0');
    c[0x06] = 0x10;
    c[0x34] = 0x40;
    bool msix = false;
    std::string why;
    EXPECT_FALSE(pci::config_has_msix(c, &msix, &why));
}

}  // namespace
}  // namespace memdomain::test
