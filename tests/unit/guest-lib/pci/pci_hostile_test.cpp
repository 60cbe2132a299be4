// A guest must get a clear error, never a crash, from whatever it finds:
// garbage in any field of a live header (a read-write peer anywhere can
// write it), BARs too small or absent, registers missing or lying, devices
// that are not ivshmem at all. Every error names the PCI device.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "pci_fixture.h"

namespace memdomain::test {
namespace {

struct Field {
    const char* name;
    std::size_t offset;
    std::size_t size;
};

// Fields the validator must reject garbage in.
const Field kCheckedFields[] = {
    {"magic", offsetof(SegmentHeader, magic), 8},
    {"layout_version", offsetof(SegmentHeader, layout_version), 4},
    {"header_size", offsetof(SegmentHeader, header_size), 4},
    {"domain_name", offsetof(SegmentHeader, domain_name), 64},
    {"segment_index", offsetof(SegmentHeader, segment_index), 4},
    {"segment_count", offsetof(SegmentHeader, segment_count), 4},
    {"page_size", offsetof(SegmentHeader, page_size), 8},
    {"segment_size", offsetof(SegmentHeader, segment_size), 8},
    {"data_offset", offsetof(SegmentHeader, data_offset), 8},
    {"data_size", offsetof(SegmentHeader, data_size), 8},
    {"access", offsetof(SegmentHeader, access), 4},
    {"vectors", offsetof(SegmentHeader, vectors), 4},
    {"max_peers", offsetof(SegmentHeader, max_peers), 4},
    {"flags", offsetof(SegmentHeader, flags), 4},
    {"mailbox_offset", offsetof(SegmentHeader, mailbox_offset), 8},
    {"mailbox_size", offsetof(SegmentHeader, mailbox_size), 8},
    {"presence", offsetof(SegmentHeader, presence), sizeof(SegmentHeader::presence)},
    {"map_address", offsetof(SegmentHeader, map_address), 8},
    {"numa_node", offsetof(SegmentHeader, numa_node), 4},
    {"instance_kind", offsetof(SegmentHeader, instance_kind), 4},
    {"instance_flags", offsetof(SegmentHeader, instance_flags), 4},
    {"reserved0", offsetof(SegmentHeader, reserved0), 4},
};
// Fields where every value means something: garbage must not stop a guest.
const Field kFreeFields[] = {
    {"generation", offsetof(SegmentHeader, generation), 8},
    {"presence_seq", offsetof(SegmentHeader, presence_seq), 8},
    {"peer_count", offsetof(SegmentHeader, peer_count), 8},
};

// Writes 0xA5 over one field of the live header, and puts it back after.
class GarbageField {
public:
    GarbageField(std::byte* header, const Field& f) : at_(header + f.offset), saved_(f.size) {
        std::memcpy(saved_.data(), at_, f.size);
        std::memset(at_, 0xA5, f.size);
    }
    ~GarbageField() { std::memcpy(at_, saved_.data(), saved_.size()); }

private:
    std::byte* at_;
    std::vector<std::byte> saved_;
};

std::string field_name(const ::testing::TestParamInfo<Field>& i) { return i.param.name; }

class CorruptedCheckedField : public PciTest, public ::testing::WithParamInterface<Field> {};
class CorruptedFreeField : public PciTest, public ::testing::WithParamInterface<Field> {};

TEST_P(CorruptedCheckedField, OpenFailsWithAnErrorNamingTheDevice) {
    Result<Domain> d = make_error("not run");
    {
        GarbageField g(guest_->memory(), GetParam());
        d = open_pci();
    }
    ASSERT_FALSE(d) << "garbage in " << GetParam().name << " was accepted";
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("invalid segment header"), std::string::npos) << d.error().message;
}

TEST_P(CorruptedCheckedField, ListingSkipsTheDevice) {
    Result<std::vector<DomainListing>> l = make_error("not run");
    {
        GarbageField g(guest_->memory(), GetParam());
        l = list_domains(pci_options());
    }
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(l->empty());
}

// list_domains_and_problems (memdomain-info's listing) never hides it: the
// device is there, with the reason.
TEST_P(CorruptedCheckedField, ListingWithProblemsNamesTheDeviceAndWhy) {
    Result<std::vector<DomainListing>> l = make_error("not run");
    {
        GarbageField g(guest_->memory(), GetParam());
        l = list_domains_and_problems(pci_options());
    }
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 1u);
    const DomainListing& e = (*l)[0];
    EXPECT_EQ(e.location, kAddress);
    EXPECT_EQ(e.transport, TransportKind::Pci);
    const std::string expected = std::string(GetParam().name) == "magic" ? "not a memdomain: bad magic"
                                                                          : "not a usable memdomain: ";
    EXPECT_EQ(e.problem.rfind(expected, 0), 0u) << e.problem;
}

TEST_P(CorruptedFreeField, OpenStillWorks) {
    Result<Domain> d = make_error("not run");
    {
        GarbageField g(guest_->memory(), GetParam());
        d = open_pci();
    }
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->self(), guest_->id());
}

INSTANTIATE_TEST_SUITE_P(PciHeader, CorruptedCheckedField, ::testing::ValuesIn(kCheckedFields), field_name);
INSTANTIATE_TEST_SUITE_P(PciHeader, CorruptedFreeField, ::testing::ValuesIn(kFreeFields), field_name);

TEST_F(PciTest, AClaimedButBrokenHeaderIsNotEnoent) {
    // The name is intact, so this is our domain, broken: Auto must not go on.
    GarbageField g(guest_->memory(), {"vectors", offsetof(SegmentHeader, vectors), 4});
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EINVAL) << d.error().message;
}

// Replaces resource2 with a regular file holding `bytes` of the real header.
void replace_bar2(const std::string& dir, const IvshmemGuest& guest, std::size_t bytes) {
    std::filesystem::remove(dir + "/resource2");
    std::ofstream(dir + "/resource2", std::ios::binary).write(reinterpret_cast<const char*>(guest.memory()),
                                                              static_cast<std::streamsize>(bytes));
}

TEST_F(PciTest, ABarSmallerThanTheHeaderIsAnErrorNamingTheDevice) {
    replace_bar2(sysfs_.device_dir(kAddress), *guest_, 1024);
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EINVAL);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("smaller than a header"), std::string::npos) << d.error().message;
}

TEST_F(PciTest, ABarSmallerThanTheSegmentIsAnError) {
    replace_bar2(sysfs_.device_dir(kAddress), *guest_, guest_->memfd_size() / 2);
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("exceeds"), std::string::npos) << d.error().message;
}

TEST_F(PciTest, AnEmptyBarIsAnErrorNamingTheDevice) {
    replace_bar2(sysfs_.device_dir(kAddress), *guest_, 0);
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
}

TEST_F(PciTest, AMissingResource2IsEnoentNamingTheDevice) {
    std::filesystem::remove(sysfs_.device_dir(kAddress) + "/resource2");
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENOENT);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("resource2"), std::string::npos) << d.error().message;
}

TEST_F(PciTest, AMissingResource0IsAnErrorNamingTheDevice) {
    std::filesystem::remove(sysfs_.device_dir(kAddress) + "/resource0");
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().sys, ENOENT) << "the domain is there; Auto must not report it absent";
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("resource0"), std::string::npos) << d.error().message;
}

TEST_F(PciTest, ATruncatedRegisterFileIsAnError) {
    const std::string r0 = sysfs_.device_dir(kAddress) + "/resource0";
    ASSERT_EQ(::truncate(r0.c_str(), 8), 0);
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
}

TEST_F(PciTest, AnIvPositionBeyondMaxPeersIsAnError) {
    sysfs_.write_registers(kAddress, 0xffffffffu);  // what an unconnected ivshmem shows
    auto d = open_pci();
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EPROTO);
    EXPECT_NE(d.error().message.find(kAddress), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("IVPosition"), std::string::npos) << d.error().message;
}

TEST_F(PciTest, ADeviceWithAnotherVendorIsIgnored) {
    TempDir other;
    FakeSysfs fake(other.path());
    fake.add_device(kAddress, *guest_);
    write_text_file(fake.device_dir(kAddress) + "/vendor", "0x8086\n");
    OpenOptions o = pci_options();
    o.sysfs_root = fake.root();
    auto d = Domain::open(kDomain, o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENOENT);
    auto l = list_domains(o);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(l->empty());
}

TEST_F(PciTest, ADeviceWithUnreadableIdentityIsIgnored) {
    sysfs_.add_bare_device("0000:00:03.0", "not a number", "0x1110");
    auto d = open_pci();
    ASSERT_TRUE(d) << d.error().message;  // the good device is still found
}

TEST_F(PciTest, ListingWithProblemsNamesADeviceWhoseMemoryCannotBeRead) {
    sysfs_.add_bare_device("0000:00:07.0");  // ivshmem, but no BARs
    auto l = list_domains_and_problems(pci_options());
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 2u);
    EXPECT_EQ((*l)[0].location, kAddress);
    EXPECT_TRUE((*l)[0].problem.empty()) << (*l)[0].problem;
    EXPECT_EQ((*l)[1].location, "0000:00:07.0");
    EXPECT_EQ((*l)[1].problem.rfind("cannot read its shared memory: ", 0), 0u) << (*l)[1].problem;
    EXPECT_NE((*l)[1].problem.find("resource2"), std::string::npos) << (*l)[1].problem;
}

// Another use of ivshmem on the same bus (a plain memory file without our
// header) is named as such, not as a broken memdomain.
TEST_F(PciTest, ListingWithProblemsSaysBadMagicForForeignMemory) {
    auto foreign = sys::memfd_create("foreign", 4096);
    ASSERT_TRUE(foreign) << foreign.error().message;
    ASSERT_TRUE(sys::ftruncate(foreign->get(), 1 << 20));
    sysfs_.add_memory_device("0000:00:06.0", foreign->get(), 1);
    auto l = list_domains_and_problems(pci_options());
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 2u);
    EXPECT_EQ((*l)[1].location, "0000:00:06.0");
    EXPECT_EQ((*l)[1].problem.rfind("not a memdomain: bad magic", 0), 0u) << (*l)[1].problem;
    EXPECT_TRUE((*l)[1].name.empty());
    auto plain = list_domains(pci_options());
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(plain->size(), 1u) << "list_domains still lists domains only";
}

TEST_F(PciTest, AnInvalidNeighbourIsNamedWhenTheDomainIsNotFound) {
    TempDir other;
    FakeSysfs fake(other.path());
    fake.add_bare_device("0000:00:07.0");  // ivshmem, but no BARs
    OpenOptions o = pci_options();
    o.sysfs_root = fake.root();
    auto d = Domain::open(kDomain, o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENOENT);
    EXPECT_NE(d.error().message.find("0000:00:07.0"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace memdomain::test
