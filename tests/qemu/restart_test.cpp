// A VM keeps its domain memory across a crash of memdomaind: memdomaind runs
// under memdomain-keeper (the fd store, tests/integration/restart/
// keeper_server.h), a paused QEMU holds the domain through ivshmem-doorbell
// with qtest playing its guest, and memdomaind is killed with kill -9. QEMU
// keeps its mapping (its doorbell connection is gone); the next memdomaind
// serves the very same memory to a new host peer: what QEMU writes after the
// crash, the new peer reads, and the other way round.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstring>
#include <string>
#include <vector>

#include "host_peer.h"
#include "keeper_server.h"
#include "qemu_guest.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5000ms;
constexpr char kDomain[] = "VmHeld";

std::vector<std::uint8_t> bytes(const std::string& s) {
    std::vector<std::uint8_t> v(s.begin(), s.end());
    v.push_back(0);
    return v;
}

// What QEMU's guest reads at `offset` of the data area (BAR2 + data_offset).
Result<std::string> guest_read(QemuGuest& vm, std::uint64_t data_offset, std::uint64_t offset, std::size_t len) {
    MD_ASSIGN_OR_RETURN(auto got, vm.qtest().b64read(vm.device().bar2() + data_offset + offset, len));
    return std::string(got.begin(), got.end());
}

std::string host_read(const HostPeer& p, std::size_t offset, std::size_t len) {
    return std::string(reinterpret_cast<const char*>(p.data()) + offset, len);
}

TEST(QemuRestart, QemuHoldsTheDomainAcrossKill9OfMemdomaind) {
    MD_SKIP_WITHOUT_QEMU();
    KeeperServer server(domain_config(kDomain, "1MB", 2));
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto before = HostPeer::connect(server.socket(kDomain));
    ASSERT_TRUE(before) << before.error().message << "\n" << server.log();
    const std::uint64_t data_offset = before->header().data_offset;
    const std::uint64_t generation = before->header().generation;
    const std::string host_pattern = "written-by-the-host-before";
    std::memcpy(before->data(), host_pattern.c_str(), host_pattern.size() + 1);

    TempDir dir;
    QemuGuestOptions o;
    o.work_dir = dir.path();
    o.name = "vm";
    o.args = doorbell_args(server.socket(kDomain), 2);
    auto vm = QemuGuest::start(o);
    ASSERT_TRUE(vm) << vm.error().message << "\n" << server.log();
    auto joined = before->wait_join(kWait);
    ASSERT_TRUE(joined) << joined.error().message << "\nQEMU log:\n" << (*vm)->log();
    auto seen = guest_read(**vm, data_offset, 0, host_pattern.size());
    ASSERT_TRUE(seen) << seen.error().message;
    EXPECT_EQ(*seen, host_pattern) << "QEMU reads the host's write through BAR2";

    ASSERT_TRUE(kill9_and_wait(server));
    EXPECT_TRUE((*vm)->process().running()) << "QEMU survives the server's crash\n" << (*vm)->log();

    // QEMU writes after the crash, into the memory it kept.
    const std::string qemu_pattern = "written-by-qemu-after-the-crash";
    ASSERT_TRUE((*vm)->qtest().b64write((*vm)->device().bar2() + data_offset + 256, bytes(qemu_pattern)));

    auto after = HostPeer::connect(server.socket(kDomain));
    ASSERT_TRUE(after) << after.error().message << "\n" << server.log();
    EXPECT_EQ(after->header().generation, generation) << "the same instance";
    EXPECT_EQ(host_read(*after, 256, qemu_pattern.size()), qemu_pattern) << "the new peer reads QEMU's write";
    EXPECT_EQ(host_read(*after, 0, host_pattern.size()), host_pattern);

    const std::string new_pattern = "written-by-a-host-peer-after";
    std::memcpy(after->data() + 512, new_pattern.c_str(), new_pattern.size() + 1);
    auto qemu_sees = guest_read(**vm, data_offset, 512, new_pattern.size());
    ASSERT_TRUE(qemu_sees) << qemu_sees.error().message << "\n" << (*vm)->log();
    EXPECT_EQ(*qemu_sees, new_pattern) << "QEMU reads the new peer's write: same memory across the restart";
    EXPECT_EQ(host_read(*before, 512, new_pattern.size()), new_pattern) << "and so does the old host mapping";
}

}  // namespace
}  // namespace memdomain::test
