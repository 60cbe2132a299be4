// A domain of several segments reaches a guest as several ivshmem devices,
// one per segment socket ("<name>.sock", "<name>@1.sock"). open(name) puts
// them back in index order whatever their PCI addresses, and refuses a set
// with a segment missing or from different domain instances.
#include <atomic>
#include <cstring>
#include <filesystem>

#include "pci_fixture.h"

namespace memdomain::test {
namespace {

constexpr const char* kMultiConfig = R"(
memdomain Multi {
    type = shared
    policy = static
    vectors = 1
    size {
        huge 4K = 1MB R/W
        huge 4K = 512K R/W
    }
}
)";

class PciMultiSegment : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        const std::string seg1 = server_.socket_dir() + "/Multi@1.sock";
        ASSERT_TRUE(std::filesystem::exists(seg1)) << "server does not serve segment 1 at " << seg1;
        g0_ = std::make_unique<IvshmemGuest>(server_.socket("Multi"));
        ASSERT_TRUE(g0_->ok()) << g0_->error();
        g1_ = std::make_unique<IvshmemGuest>(seg1);
        ASSERT_TRUE(g1_->ok()) << g1_->error();
    }
    OpenOptions options() const {
        OpenOptions o;
        o.transport = TransportKind::Pci;
        o.sysfs_root = sysfs_.root();
        return o;
    }

    Server server_{kMultiConfig};
    TempDir tree_;
    FakeSysfs sysfs_{tree_.path() + "/sys"};
    std::unique_ptr<IvshmemGuest> g0_, g1_;
};

TEST_F(PciMultiSegment, SegmentsComeBackInIndexOrderWhateverTheAddresses) {
    sysfs_.add_device("0000:00:04.0", *g1_);  // segment 1 first on the bus
    sysfs_.add_device("0000:00:05.0", *g0_);
    auto d = Domain::open("Multi", options());
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    EXPECT_EQ(d->segments()[0].index, 0u);
    EXPECT_EQ(d->segments()[0].size, 1u << 20);
    EXPECT_EQ(d->segments()[1].index, 1u);
    EXPECT_EQ(d->segments()[1].size, 512u << 10);
    EXPECT_EQ(d->self(), g0_->id());  // doorbells and identity come from segment 0's device
}

TEST_F(PciMultiSegment, TheSecondSegmentIsTheDomainsMemory) {
    sysfs_.add_device("0000:00:04.0", *g0_);
    sysfs_.add_device("0000:00:05.0", *g1_);
    auto d = Domain::open("Multi", options());
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    const char text[] = "segment one";
    std::memcpy(d->segments()[1].data, text, sizeof text);
    EXPECT_STREQ(reinterpret_cast<const char*>(g1_->memory() + g1_->header().data_offset), text);
}

TEST_F(PciMultiSegment, AMissingSegmentIsAnErrorSayingWhich) {
    sysfs_.add_device("0000:00:04.0", *g0_);
    auto d = Domain::open("Multi", options());
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, ENODEV);
    EXPECT_NE(d.error().message.find("segment(s) 1"), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("0000:00:04.0"), std::string::npos) << d.error().message;
}

TEST_F(PciMultiSegment, SegmentsFromDifferentInstancesAreRefused) {
    sysfs_.add_device("0000:00:04.0", *g0_);
    sysfs_.add_device("0000:00:05.0", *g1_);
    // What a device still attached to an older instance of the domain shows.
    auto gen = std::atomic_ref<std::uint64_t>(g1_->live_header()->generation);
    const std::uint64_t saved = gen.load();
    gen.store(saved ^ 0x5a5a5a5aULL);
    auto d = Domain::open("Multi", options());
    gen.store(saved);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EINVAL);
    EXPECT_NE(d.error().message.find("0000:00:05.0"), std::string::npos) << d.error().message;
}

TEST_F(PciMultiSegment, ListingShowsEachSegmentWithItsIndex) {
    sysfs_.add_device("0000:00:04.0", *g0_);
    sysfs_.add_device("0000:00:05.0", *g1_);
    auto l = list_domains(options());
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 2u);
    EXPECT_EQ((*l)[0].name, "Multi");
    EXPECT_EQ((*l)[0].segment, 0u);
    EXPECT_EQ((*l)[1].name, "Multi");
    EXPECT_EQ((*l)[1].segment, 1u);
    EXPECT_EQ((*l)[1].location, "0000:00:05.0");
}

}  // namespace
}  // namespace memdomain::test
