// The qtest client and the PCI/BAR helpers against QEMU alone (no server): an
// ivshmem-plain device on a file-backed memory backend, so what the guest
// writes through BAR2 can be checked in the file, and the other way round.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <numeric>

#include "ivshmem_guest.h"
#include "qemu_guest.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

constexpr std::uint64_t kRam = 0x200000;  // guest RAM well inside -m 32M

std::unique_ptr<QemuGuest> start_plain(const TempDir& dir, const std::string& backing) {
    QemuGuestOptions o;
    o.work_dir = dir.path();
    o.name = "plain";
    o.args = {"-object", "memory-backend-file,id=mb,size=1M,share=on,mem-path=" + backing, "-device",
              "ivshmem-plain,memdev=mb,addr=04.0"};
    auto g = QemuGuest::start(o);
    EXPECT_TRUE(g) << g.error().message;
    if (!g) return nullptr;
    return std::move(g).value();
}

TEST(QtestClient, WordWritesToGuestRamReadBack) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    auto g = start_plain(dir, dir.file("plain.mem"));
    ASSERT_TRUE(g);
    auto& q = g->qtest();
    ASSERT_TRUE(q.writeb(kRam, 0xa5));
    ASSERT_TRUE(q.writew(kRam + 2, 0xbeef));
    ASSERT_TRUE(q.writel(kRam + 4, 0xdeadbeef));
    ASSERT_TRUE(q.writeq(kRam + 8, 0x0123456789abcdefull));
    EXPECT_EQ(*q.readb(kRam), 0xa5);
    EXPECT_EQ(*q.readw(kRam + 2), 0xbeef);
    EXPECT_EQ(*q.readl(kRam + 4), 0xdeadbeefu);
    EXPECT_EQ(*q.readq(kRam + 8), 0x0123456789abcdefull);
    // Little-endian guest: the low byte of the quad word comes first.
    EXPECT_EQ(*q.readb(kRam + 8), 0xef);
}

TEST(QtestClient, HexAndBase64RangesRoundTrip) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    auto g = start_plain(dir, dir.file("plain.mem"));
    ASSERT_TRUE(g);
    auto& q = g->qtest();
    std::vector<std::uint8_t> bytes(1000);
    std::iota(bytes.begin(), bytes.end(), std::uint8_t{7});
    ASSERT_TRUE(q.write(kRam, bytes));
    auto hex = q.read(kRam, bytes.size());
    ASSERT_TRUE(hex) << hex.error().message;
    EXPECT_EQ(*hex, bytes);
    std::reverse(bytes.begin(), bytes.end());
    bytes.resize(998);  // not a multiple of 3: exercises base64 padding
    ASSERT_TRUE(q.b64write(kRam + 4096, bytes));
    auto b64 = q.b64read(kRam + 4096, bytes.size());
    ASSERT_TRUE(b64) << b64.error().message;
    EXPECT_EQ(*b64, bytes);
}

TEST(QtestClient, CommandAfterQemuDiesIsConnectionError) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    auto g = start_plain(dir, dir.file("plain.mem"));
    ASSERT_TRUE(g);
    g->process().kill();
    auto r = g->qtest().readl(kRam);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().sys == ECONNRESET || r.error().sys == EPIPE) << r.error().message;
}

TEST(QtestClient, AcceptFailsFastWhenQemuCannotStart) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    QemuGuestOptions o;
    o.work_dir = dir.path();
    o.name = "broken";
    o.args = {"-device", "no-such-device-model"};
    const auto t0 = std::chrono::steady_clock::now();
    auto g = QemuGuest::start(o);
    ASSERT_FALSE(g);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_NE(g.error().message.find("no-such-device-model"), std::string::npos) << g.error().message;
}

TEST(QtestPlainDevice, Bar2SizeIsTheBackendSize) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    auto g = start_plain(dir, dir.file("plain.mem"));
    ASSERT_TRUE(g);
    EXPECT_EQ(g->device().bar2_size(), 1u << 20);
    EXPECT_EQ(g->device().msix_vectors(), 0u);  // ivshmem-plain has no interrupts
}

TEST(QtestPlainDevice, GuestWriteThroughBar2ReachesTheBackingFile) {
    MD_SKIP_WITHOUT_QEMU();
    TempDir dir;
    const std::string backing = dir.file("plain.mem");
    auto g = start_plain(dir, backing);
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->qtest().writeq(g->device().bar2() + 64, 0x1122334455667788ull));
    int fd = ::open(backing.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    void* p = ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    ASSERT_NE(p, MAP_FAILED);
    std::uint64_t seen;
    std::memcpy(&seen, static_cast<char*>(p) + 64, 8);
    EXPECT_EQ(seen, 0x1122334455667788ull);
    // And back: a host write is visible to the guest at once.
    std::memcpy(static_cast<char*>(p) + 128, "host", 4);
    auto r = g->qtest().read(g->device().bar2() + 128, 4);
    ::munmap(p, 1 << 20);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::string(r->begin(), r->end()), "host");
}

}  // namespace
}  // namespace memdomain::test
