// The read-only VM path end to end: memdomaind publishes each segment as a
// namespace entry (<socket dir>/ns/<domain>, a symlink to the server's
// O_RDONLY descriptor of the sealed memfd); a paused QEMU maps it with
// ivshmem-plain on a read-only memory-backend-file, and qtest plays the guest
// reading and writing BAR2 while a host peer holds the same memory through
// the domain's socket. A QEMU that tries ivshmem-doorbell with only a
// read-only grant is refused by the server.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "host_peer.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/memory.h"
#include "qemu_guest.h"
#include "server_fixture.h"
#include "server_with_host_peer.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr char kDomain[] = "RoView";
constexpr std::uint64_t kSegmentSize = 1 << 20;  // "1MB" in the config, "1M" for QEMU
constexpr char kRefusal[] = "it has a read-only grant, and ivshmem-doorbell maps read-write";

// 256 bytes that differ for each `seed` (and are never all zero).
std::vector<std::uint8_t> pattern(std::uint8_t seed) {
    std::vector<std::uint8_t> p(256);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
    return p;
}

std::vector<std::uint8_t> host_bytes(const HostPeer& h, std::uint64_t offset, std::size_t size) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(h.memory()) + offset;
    return {b, b + size};
}

// Polls the server's log for `needle`; true once it shows up.
bool wait_for_log(Server& s, const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (s.log().find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(20ms);
    }
    return s.log().find(needle) != std::string::npos;
}

// A server with one 1 MiB 4K-page domain, a host peer on its socket, and a
// way to start a QEMU whose ivshmem-plain device maps the namespace entry.
class QemuReadOnly : public ServerWithHostPeer {
protected:
    void start_server(const std::string& access) {
        ASSERT_NO_FATAL_FAILURE(
            ServerWithHostPeer::start_server(domain_config(kDomain, "1MB", 2, "4K", access), kDomain));
        ASSERT_EQ(host_->memory_size(), kSegmentSize);
    }

    std::string ns_entry() const { return namespace_entry(server_->socket_dir(), kDomain); }

    void start_plain_guest() {
        QemuGuestOptions o;
        o.work_dir = dir_.path();
        o.name = "plain";
        o.args = readonly_plain_args(ns_entry(), "1M");
        auto vm = QemuGuest::start(o);
        ASSERT_TRUE(vm) << vm.error().message;
        vm_ = std::move(vm).value();
        ASSERT_EQ(vm_->device().bar2_size(), kSegmentSize);
    }

    // `size` bytes of BAR2 at `offset`, as the guest reads them.
    std::vector<std::uint8_t> guest_bytes(std::uint64_t offset, std::size_t size) {
        auto r = vm_->qtest().b64read(vm_->device().bar2() + offset, size);
        EXPECT_TRUE(r) << r.error().message << "\nQEMU log:\n" << vm_->log();
        return r ? std::move(r).value() : std::vector<std::uint8_t>{};
    }

    TempDir dir_;
    std::unique_ptr<QemuGuest> vm_;
};

TEST_F(QemuReadOnly, PlainGuestSeesHostWritesLive) {
    MD_SKIP_WITHOUT_QEMU();
    ASSERT_NO_FATAL_FAILURE(start_server("R/W"));
    ASSERT_TRUE(host_->writable()) << "root on a R/W domain without access block should get a R/W fd";
    const std::uint64_t data = host_->header().data_offset;
    const auto first = pattern(1);
    std::memcpy(host_->memory() + data, first.data(), first.size());
    ASSERT_NO_FATAL_FAILURE(start_plain_guest());

    // The guest identifies the domain from the header alone, as libmemdomain's
    // pci transport would.
    const auto header_bytes = guest_bytes(0, kHeaderAreaSize);
    ASSERT_EQ(header_bytes.size(), kHeaderAreaSize);
    auto header = validate_segment_header(header_bytes.data(), vm_->device().bar2_size());
    ASSERT_TRUE(header) << header.error().message;
    EXPECT_EQ(std::memcmp(header->magic, kSegmentMagic, sizeof kSegmentMagic), 0);
    EXPECT_STREQ(header->domain_name, kDomain);
    EXPECT_EQ(header->data_offset, data);
    EXPECT_EQ(guest_bytes(data, first.size()), first);

    const auto second = pattern(2);
    ASSERT_NE(first, second);
    std::memcpy(host_->memory() + data, second.data(), second.size());
    EXPECT_EQ(guest_bytes(data, second.size()), second) << "the guest does not see the host's change live";
}

TEST_F(QemuReadOnly, PlainGuestWritesDoNotReachTheDomain) {
    MD_SKIP_WITHOUT_QEMU();
    ASSERT_NO_FATAL_FAILURE(start_server("R/W"));
    const std::uint64_t data = host_->header().data_offset;
    const auto content = pattern(3);
    std::memcpy(host_->memory() + data, content.data(), content.size());
    const auto header_before = host_bytes(*host_, 0, kHeaderAreaSize);
    ASSERT_NO_FATAL_FAILURE(start_plain_guest());
    // The guest really looks at the domain, so the writes below aim at it.
    ASSERT_EQ(guest_bytes(data, content.size()), content);

    auto& q = vm_->qtest();
    const std::uint64_t bar2 = vm_->device().bar2();
    // Every write is accepted by QEMU (no fault for the guest) ...
    ASSERT_TRUE(q.writel(bar2 + data, 0xdeadbeef));
    ASSERT_TRUE(q.writeq(bar2 + data + 8, 0x1122334455667788ull));
    ASSERT_TRUE(q.writeq(bar2 + 0, 0x5858585858585858ull));  // the magic
    ASSERT_TRUE(q.writel(bar2 + offsetof(SegmentHeader, domain_name), 0x41414141));
    ASSERT_TRUE(q.writel(bar2 + offsetof(SegmentHeader, data_offset), 0));
    // ... and none of them reaches the memory.
    EXPECT_EQ(host_bytes(*host_, data, content.size()), content);
    EXPECT_EQ(host_bytes(*host_, 0, kHeaderAreaSize), header_before);
    auto header = validate_segment_header(host_->memory(), host_->memory_size());
    EXPECT_TRUE(header) << header.error().message;
    EXPECT_TRUE(vm_->process().running()) << vm_->log();
}

// Where the entry points: one of the server's own descriptors, opened
// read-only, so that QEMU (root, or the server's user) reopens the sealed
// memfd itself rather than a copy.
TEST_F(QemuReadOnly, NamespaceEntryIsSymlinkToServerReadOnlyDescriptor) {
    ASSERT_NO_FATAL_FAILURE(start_server("R/W"));
    namespace fs = std::filesystem;
    ASSERT_TRUE(fs::is_symlink(ns_entry())) << ns_entry() << " is missing or not a symlink";
    const std::string target = fs::read_symlink(ns_entry()).string();
    const std::string fd_dir = "/proc/" + std::to_string(server_->pid()) + "/fd/";
    ASSERT_EQ(target.rfind(fd_dir, 0), 0u) << ns_entry() << " -> " << target;
    // fdinfo's "flags:" is octal open flags; the access mode must be O_RDONLY.
    const std::string info =
        read_file("/proc/" + std::to_string(server_->pid()) + "/fdinfo/" + target.substr(fd_dir.size()));
    const auto at = info.find("flags:");
    ASSERT_NE(at, std::string::npos) << info;
    const unsigned long flags = std::stoul(info.substr(at + 6), nullptr, 8);
    EXPECT_EQ(flags & O_ACCMODE, static_cast<unsigned long>(O_RDONLY)) << info;
    EXPECT_EQ(fs::file_size(ns_entry()), kSegmentSize);
}

TEST_F(QemuReadOnly, DoorbellAttachWithReadOnlyGrantIsRefused) {
    MD_SKIP_WITHOUT_QEMU();
    ASSERT_NO_FATAL_FAILURE(start_server("R/O"));
    ASSERT_FALSE(host_->writable()) << "a host peer on a R/O domain was sent a writable fd";
    ASSERT_TRUE(std::filesystem::is_symlink(ns_entry())) << ns_entry();

    QemuGuestOptions o;
    o.work_dir = dir_.path();
    o.name = "doorbell";
    o.args = doorbell_args(server_->socket(kDomain), 2);
    o.qtest = false;
    auto vm = QemuGuest::start(o);
    ASSERT_TRUE(vm) << vm.error().message;

    ASSERT_TRUE(wait_for_log(*server_, kRefusal, 5s))
        << "no refusal in the server log:\n" << server_->log() << "\nQEMU log:\n" << (*vm)->log();
    // The refusal tells the user the plain attach, on this domain's entry.
    EXPECT_NE(server_->log().find("mem-path=" + ns_entry()), std::string::npos) << server_->log();
    // The server refuses before announcing anyone: no join reaches the host.
    auto event = host_->next_event(300ms);
    ASSERT_TRUE(event) << event.error().message;
    EXPECT_FALSE(event->has_value()) << "peer " << (*event)->peer << " joined or left";
    EXPECT_TRUE(host_->peer_ids().empty());
    // QEMU 7.2 is not told why: the server just closes the socket, and QEMU
    // then spins in its read loop (see qemu-config/README.md); it is killed
    // by PID when `vm` goes away.
}

// What the refusal recommends works: a plain guest on a R/O domain reads it.
TEST_F(QemuReadOnly, PlainGuestReadsReadOnlyDomain) {
    MD_SKIP_WITHOUT_QEMU();
    ASSERT_NO_FATAL_FAILURE(start_server("R/O"));
    ASSERT_NO_FATAL_FAILURE(start_plain_guest());
    const auto header_bytes = guest_bytes(0, kHeaderAreaSize);
    ASSERT_EQ(header_bytes, host_bytes(*host_, 0, kHeaderAreaSize));
    auto header = validate_segment_header(header_bytes.data(), vm_->device().bar2_size());
    ASSERT_TRUE(header) << header.error().message;
    EXPECT_STREQ(header->domain_name, kDomain);
    EXPECT_EQ(header->access, static_cast<std::uint32_t>(SegmentAccess::ReadOnly));
}

// The lines of /proc/<pid>/maps that map a file whose name contains `name`.
std::vector<std::string> mappings_of(pid_t pid, const std::string& name) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/maps"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        if (line.find(name) != std::string::npos) lines.push_back(line);
    return lines;
}

// The shipped example's case: a 2 MiB-page (hugetlb memfd) domain. QEMU
// sizes and aligns the backend by the memfd's page size and maps it shared
// and read-only ("r--s"), so nothing in the process can write it.
TEST(QemuReadOnlyHugepages, PlainGuestMapsHugepageDomainReadOnly) {
    MD_SKIP_WITHOUT_QEMU();
    constexpr std::uint64_t k2M = 2 << 20;
    auto pool = sys::hugepage_pool(k2M);
    if (!pool || pool->available() < 2)
        GTEST_SKIP() << "needs 2 free 2 MiB hugepages (echo 2 >> /proc/sys/vm/nr_hugepages as root); "
                     << (pool ? std::to_string(pool->available()) + " available" : pool.error().message);
    TempDir dir;
    Server server(domain_config(kDomain, "4MB", 2, "2M"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    QemuGuestOptions o;
    o.work_dir = dir.path();
    o.name = "plain2m";
    o.args = readonly_plain_args(namespace_entry(server.socket_dir(), kDomain), "4M");
    auto vm = QemuGuest::start(o);
    ASSERT_TRUE(vm) << vm.error().message;
    auto magic = (*vm)->qtest().read((*vm)->device().bar2(), sizeof kSegmentMagic);
    ASSERT_TRUE(magic) << magic.error().message;
    EXPECT_EQ(std::memcmp(magic->data(), kSegmentMagic, sizeof kSegmentMagic), 0);
    const auto maps = mappings_of((*vm)->process().pid(), std::string("memdomain:") + kDomain);
    ASSERT_EQ(maps.size(), 1u) << "QEMU should map the segment once";
    std::istringstream fields(maps[0]);
    std::string range, perms;
    fields >> range >> perms;
    EXPECT_EQ(perms, "r--s") << maps[0];
}

}  // namespace
}  // namespace memdomain::test
