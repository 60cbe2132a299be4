// A segment whose header has a map_address (the config's "vaddr") reaches a
// guest through its ivshmem device like any other; the pci transport maps
// its BAR2 exactly at that address, each segment at its own, or fails with
// EEXIST naming the device, the segment and the range when something else
// of the process is there. The headers are written by the test
// (write_segment_header), as the server does, into memfds the sysfs-shaped
// tree points resource2 at.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "../free_address.h"
#include "ivshmem_guest.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

constexpr const char* kName = "PciAt";
constexpr std::uint64_t kSize0 = 1 << 20;
constexpr std::uint64_t kSize1 = 512 << 10;

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

class PciVaddr : public ::testing::Test {
protected:
    // A segment of kName with `map_address`, on a device at `address`.
    void add_segment(const std::string& address, std::uint32_t index, std::uint32_t count, std::uint64_t size,
                     std::uint64_t map_address) {
        auto fd = sys::memfd_create("pci-vaddr", 4096);
        ASSERT_TRUE(fd && sys::ftruncate(fd->get(), size));
        auto m = sys::map_shared(fd->get(), size, sys::Protection::ReadWrite);
        ASSERT_TRUE(m) << m.error().message;
        SegmentHeaderSpec spec;
        spec.domain_name = kName;
        spec.segment_index = index;
        spec.segment_count = count;
        spec.segment_size = size;
        spec.generation = 77;
        spec.map_address = map_address;
        ASSERT_TRUE(write_segment_header(m->data(), spec));
        sysfs_.add_memory_device(address, fd->get(), /*iv_position=*/1);
        memfds_.push_back(std::move(fd).value());
    }
    Result<Domain> open() const {
        OpenOptions o;
        o.transport = TransportKind::Pci;
        o.sysfs_root = sysfs_.root();
        return Domain::open(kName, o);
    }
    // The data area of memfds_[i] as the host sees it.
    std::string host_data(std::size_t i, std::uint64_t size) const {
        auto m = sys::map_shared(memfds_[i].get(), size, sys::Protection::ReadOnly);
        EXPECT_TRUE(m);
        return reinterpret_cast<const char*>(m->bytes() + validate_segment_header(m->data(), size)->data_offset);
    }

    TempDir tree_;
    FakeSysfs sysfs_{tree_.path() + "/sys"};
    std::vector<sys::UniqueFd> memfds_;
};

TEST_F(PciVaddr, BarIsMappedAtTheHeadersMapAddress) {
    const std::uint64_t at = free_address();
    add_segment("0000:00:04.0", 0, 1, kSize0, at);
    auto d = open();
    ASSERT_TRUE(d) << d.error().message;
    const SegmentView& v = d->segments().front();
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(v.base), at);
    EXPECT_EQ(v.map_address, at);
    EXPECT_EQ(v.access, Access::ReadWrite);
    std::strcpy(static_cast<char*>(d->data()), "guest wrote at the address");
    EXPECT_EQ(host_data(0, kSize0), "guest wrote at the address");
}

TEST_F(PciVaddr, EachSegmentGoesToItsOwnAddressWhateverTheBusOrder) {
    const std::uint64_t at = free_address();
    add_segment("0000:00:04.0", 1, 2, kSize1, at + kSize0);
    add_segment("0000:00:05.0", 0, 2, kSize0, at);
    auto d = open();
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(d->segments()[0].base), at);
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(d->segments()[1].base), at + kSize0);
    EXPECT_EQ(d->segments()[1].size, kSize1);
    std::strcpy(reinterpret_cast<char*>(d->segments()[1].data), "second");
    EXPECT_EQ(host_data(0, kSize1), "second");
}

TEST_F(PciVaddr, TakenAddressIsEEXISTNamingDeviceSegmentAndRange) {
    const std::uint64_t at = free_address();
    add_segment("0000:00:04.0", 0, 1, kSize0, at);
    auto other_fd = sys::memfd_create("in-the-way", 4096);
    ASSERT_TRUE(other_fd && sys::ftruncate(other_fd->get(), 4096));
    auto other = sys::map_shared(other_fd->get(), 4096, sys::Protection::ReadWrite, 0,
                                 reinterpret_cast<void*>(at + kSize0 - 4096));
    ASSERT_TRUE(other) << other.error().message;
    std::strcpy(static_cast<char*>(other->data()), "mine");
    auto d = open();
    ASSERT_FALSE(d) << "mapped although the range is taken";
    EXPECT_EQ(d.error().sys, EEXIST) << d.error().message;
    const std::string& msg = d.error().message;
    EXPECT_NE(msg.find("0000:00:04.0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'PciAt' segment 0"), std::string::npos) << msg;
    EXPECT_NE(msg.find(hex(at) + "-" + hex(at + kSize0)), std::string::npos) << msg;
    EXPECT_NE(msg.find("something else is mapped there in this process"), std::string::npos) << msg;
    EXPECT_STREQ(static_cast<const char*>(other->data()), "mine") << "the other mapping was replaced";
}

TEST_F(PciVaddr, SegmentWithoutMapAddressIsMappedAnywhere) {
    add_segment("0000:00:04.0", 0, 1, kSize0, 0);
    auto d = open();
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->segments().front().map_address, 0u);
}

}  // namespace
}  // namespace memdomain::test
