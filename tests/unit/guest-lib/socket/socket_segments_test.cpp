// The socket transport's other segments and map addresses, against scripted
// fake servers whose headers are written the way memdomaind writes them:
// segments 1.. come from "<name>@<i>.sock" and must belong to the instance
// segment 0 came from; a segment with a map_address (the config's "vaddr")
// is mapped exactly there, or open fails with EEXIST and a message saying
// what is in the way.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "../free_address.h"
#include "fake_ivshmem_server.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"
#include "socket/socket_transport.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t kSize0 = 1 << 20;
constexpr std::uint64_t kSize1 = 512 << 10;
constexpr std::uint64_t kGeneration = 0x5eed;
constexpr const char* kName = "Multi";

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

SegmentHeaderSpec spec(std::uint32_t index, std::uint32_t count = 2) {
    SegmentHeaderSpec s;
    s.domain_name = kName;
    s.segment_index = index;
    s.segment_count = count;
    s.segment_size = index == 0 ? kSize0 : kSize1;
    s.generation = kGeneration;
    s.vectors = 1;
    return s;
}

std::uint64_t address_of(const SegmentView& v) { return reinterpret_cast<std::uint64_t>(v.base); }

class SocketSegments : public ::testing::Test {
protected:
    // Serves `memfd` on segment `index`'s socket: the whole initial burst,
    // our id `id` and one own eventfd.
    FakeIvshmemServer& serve(std::uint32_t index, int memfd, std::int64_t id = 0) {
        const std::string sock = index == 0 ? dir_.file(std::string(kName) + ".sock")
                                            : dir_.file(std::string(kName) + "@" + std::to_string(index) + ".sock");
        own_.push_back(std::move(sys::eventfd_create()).value());
        servers_.push_back(std::make_unique<FakeIvshmemServer>(
            sock, std::vector<ScriptedMessage>{{0}, {id}, {-1, memfd}, {id, own_.back().get()}}));
        return *servers_.back();
    }
    Result<std::unique_ptr<detail::Transport>> open() {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = dir_.path();
        o.timeout = milliseconds(2000);
        return detail::open_socket_transport(kName, o);
    }
    // What the segment's memfd holds at its data area (through our own mapping).
    static std::string read_data(int memfd, std::uint64_t size) {
        auto m = sys::map_shared(memfd, size, sys::Protection::ReadOnly);
        EXPECT_TRUE(m);
        auto h = validate_segment_header(m->data(), size);
        EXPECT_TRUE(h);
        return std::string(reinterpret_cast<const char*>(m->bytes() + h->data_offset));
    }

    TempDir dir_;
    std::vector<sys::UniqueFd> own_;
    std::vector<std::unique_ptr<FakeIvshmemServer>> servers_;
};

TEST_F(SocketSegments, SegmentIsMappedAtItsMapAddress) {
    SegmentHeaderSpec s = spec(0, 1);
    s.map_address = free_address();
    auto mem = make_fake_segment(s);
    serve(0, mem.get());
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    const SegmentView& v = (*t)->segments().front();
    EXPECT_EQ(address_of(v), s.map_address);
    EXPECT_EQ(v.map_address, s.map_address);
    EXPECT_EQ(v.access, Access::ReadWrite);
    std::strcpy(reinterpret_cast<char*>(v.data), "at the address");
    EXPECT_EQ(read_data(mem.get(), kSize0), "at the address");
}

TEST_F(SocketSegments, SegmentWithoutMapAddressGoesAnywhere) {
    auto mem = make_fake_segment(spec(0, 1));
    serve(0, mem.get());
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ((*t)->segments().front().map_address, 0u);
    EXPECT_NE((*t)->segments().front().base, nullptr);
}

TEST_F(SocketSegments, TakenMapAddressIsEEXISTNamingDomainSegmentAndRange) {
    SegmentHeaderSpec s = spec(0, 1);
    s.map_address = free_address();
    // Something else of this process sits in the middle of the range.
    auto other_fd = sys::memfd_create("in-the-way", 4096);
    ASSERT_TRUE(other_fd && sys::ftruncate(other_fd->get(), 4096));
    auto other = sys::map_shared(other_fd->get(), 4096, sys::Protection::ReadWrite, 0,
                                 reinterpret_cast<void*>(s.map_address + 8192));
    ASSERT_TRUE(other) << other.error().message;
    std::strcpy(reinterpret_cast<char*>(other->data()), "mine");
    auto mem = make_fake_segment(s);
    serve(0, mem.get());
    auto t = open();
    ASSERT_FALSE(t) << "mapped although the range is taken";
    EXPECT_EQ(t.error().sys, EEXIST) << t.error().message;
    const std::string& msg = t.error().message;
    EXPECT_NE(msg.find("'Multi'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("segment 0"), std::string::npos) << msg;
    EXPECT_NE(msg.find(hex(s.map_address) + "-" + hex(s.map_address + kSize0)), std::string::npos) << msg;
    EXPECT_NE(msg.find("something else is mapped there in this process"), std::string::npos) << msg;
    EXPECT_STREQ(reinterpret_cast<const char*>(other->data()), "mine") << "the other mapping was replaced";
}

TEST_F(SocketSegments, ReadOnlyFdIsMappedReadOnlyAtItsMapAddress) {
    SegmentHeaderSpec s = spec(0, 1);
    s.map_address = free_address();
    auto mem = make_fake_segment(s);
    auto ro = sys::reopen(mem.get(), O_RDONLY);
    ASSERT_TRUE(ro);
    serve(0, ro->get());
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(address_of((*t)->segments().front()), s.map_address);
    EXPECT_EQ((*t)->segments().front().access, Access::ReadOnly);
}

TEST_F(SocketSegments, InstanceFieldsOfTheHeaderReachTheView) {
    SegmentHeaderSpec s = spec(0, 1);
    s.numa_node = 0;
    s.instance_kind = InstanceKind::Local;
    s.instance_flags = kInstancePrefaulted | kInstanceContiguous;
    auto mem = make_fake_segment(s);
    serve(0, mem.get());
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    const SegmentView& v = (*t)->segments().front();
    EXPECT_EQ(v.numa_node, 0);
    EXPECT_EQ(v.instance_kind, InstanceKind::Local);
    EXPECT_EQ(v.instance_flags, kInstancePrefaulted | kInstanceContiguous);
}

TEST_F(SocketSegments, EverySegmentIsOpenedInIndexOrder) {
    auto mem0 = make_fake_segment(spec(0)), mem1 = make_fake_segment(spec(1));
    serve(0, mem0.get(), 3);
    serve(1, mem1.get(), 0);
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    const auto& segs = (*t)->segments();
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].index, 0u);
    EXPECT_EQ(segs[0].size, kSize0);
    EXPECT_EQ(segs[1].index, 1u);
    EXPECT_EQ(segs[1].size, kSize1);
    EXPECT_EQ(segs[1].access, Access::ReadWrite);
    EXPECT_EQ((*t)->self(), 3u) << "our id is segment 0's";
    std::strcpy(reinterpret_cast<char*>(segs[1].data), "segment one");
    EXPECT_EQ(read_data(mem1.get(), kSize1), "segment one");
    EXPECT_EQ(read_data(mem0.get(), kSize0), "");
}

TEST_F(SocketSegments, SegmentsAreMappedAtTheirOwnMapAddresses) {
    SegmentHeaderSpec s0 = spec(0), s1 = spec(1);
    s0.map_address = free_address();
    s1.map_address = s0.map_address + kSize0;  // what the server computes for 4K pages
    auto mem0 = make_fake_segment(s0), mem1 = make_fake_segment(s1);
    serve(0, mem0.get());
    serve(1, mem1.get());
    auto t = open();
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ((*t)->segments().size(), 2u);
    EXPECT_EQ(address_of((*t)->segments()[0]), s0.map_address);
    EXPECT_EQ(address_of((*t)->segments()[1]), s1.map_address);
}

TEST_F(SocketSegments, SegmentConnectionsStayOpenUntilTheDomainIsClosed) {
    auto mem0 = make_fake_segment(spec(0)), mem1 = make_fake_segment(spec(1));
    FakeIvshmemServer& s0 = serve(0, mem0.get());
    FakeIvshmemServer& s1 = serve(1, mem1.get());
    {
        auto t = open();
        ASSERT_TRUE(t) << t.error().message;
        ASSERT_TRUE(s1.script_sent());
        EXPECT_FALSE(s1.wait_for_hang_up(milliseconds(200)))
            << "segment 1's connection was closed: the server would count this peer gone";
        EXPECT_TRUE((*t)->process_events(nullptr)) << "draining segment 1's connection must not fail";
        EXPECT_FALSE(s1.client_hung_up());
    }
    EXPECT_TRUE(s1.wait_for_hang_up(milliseconds(2000)));
    EXPECT_TRUE(s0.wait_for_hang_up(milliseconds(2000)));
}

TEST_F(SocketSegments, SegmentOfAnotherGenerationIsEAGAINSayingRetry) {
    SegmentHeaderSpec s1 = spec(1);
    s1.generation = kGeneration + 1;  // the domain was re-created after segment 0 was fetched
    auto mem0 = make_fake_segment(spec(0)), mem1 = make_fake_segment(s1);
    serve(0, mem0.get());
    serve(1, mem1.get());
    auto t = open();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EAGAIN) << t.error().message;
    const std::string& msg = t.error().message;
    EXPECT_NE(msg.find("segment 1 belongs to another instance"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0x0000000000005eee"), std::string::npos) << msg;
    EXPECT_NE(msg.find("retry"), std::string::npos) << msg;
}

TEST_F(SocketSegments, SegmentWithAnotherSegmentCountIsEAGAIN) {
    auto mem0 = make_fake_segment(spec(0)), mem1 = make_fake_segment(spec(1, 3));
    serve(0, mem0.get());
    serve(1, mem1.get());
    auto t = open();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EAGAIN) << t.error().message;
}

TEST_F(SocketSegments, SegmentOfAnotherDomainIsEINVAL) {
    SegmentHeaderSpec s1 = spec(1);
    s1.domain_name = "Other";
    auto mem0 = make_fake_segment(spec(0)), mem1 = make_fake_segment(s1);
    serve(0, mem0.get());
    serve(1, mem1.get());
    auto t = open();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL) << t.error().message;
    EXPECT_NE(t.error().message.find("'Other'"), std::string::npos) << t.error().message;
}

TEST_F(SocketSegments, SocketServingAnotherSegmentIndexIsEINVAL) {
    auto mem0 = make_fake_segment(spec(0, 3)), mem2 = make_fake_segment(spec(2, 3));
    serve(0, mem0.get());
    serve(1, mem2.get());  // "@1" hands out segment 2
    auto t = open();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL) << t.error().message;
    EXPECT_NE(t.error().message.find("expected segment 1"), std::string::npos) << t.error().message;
}

TEST_F(SocketSegments, MissingSegmentSocketIsENODEVNotENOENT) {
    // ENOENT would send Transport::Auto looking for the domain on PCI.
    auto mem0 = make_fake_segment(spec(0));
    serve(0, mem0.get());
    auto t = open();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, ENODEV) << t.error().message;
    EXPECT_NE(t.error().message.find("Multi@1.sock"), std::string::npos) << t.error().message;
    EXPECT_NE(t.error().message.find("2 segments"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace memdomain::test
