// The read-only VM attach from inside a real guest: QEMU
// maps the server's read-only namespace entry (<dir>/ns/<domain>) with
// memory-backend-file,readonly=on and shows it to the guest as
// ivshmem-plain, the guest's only ivshmem device
// (vm-images/scenarios/plain-observer.sh). In the guest, memdomain-info and
// the library must call it a read-only observer without a peer id (a plain
// device's IVPosition reads 0, a real peer's id) and refuse doorbells; the
// guest reads what the host writes, before and while it runs; and what the
// guest writes through a read-write mapping of its own never reaches the
// domain. The test process is a host peer on the domain's socket.
#include <cerrno>
#include <cstring>

#include "memdomain/common/segment_header.h"
#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kGo = 0x600d;
constexpr std::uint64_t kToken1 = 0x70ce1111aaaa0001ull;
constexpr std::uint64_t kToken2 = 0x70ce2222bbbb0002ull;

std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
    return b;
}

TEST_F(VmTest, PlainGuestIsAReadOnlyObserverWithoutPeerId) {
    // The image is built with the tests: a missing tool is a failure.
    ASSERT_TRUE(image_has("memdomain-info")) << "the guest image has no memdomain-info (target not built)";
    auto host = attach_host();
    ASSERT_TRUE(host) << host.error().message << "\n" << server_->log();
    TestBoard* b = board(*host);
    board_word(b->go).store(0);
    board_word(b->reserved[0]).store(kToken1);
    board_word(b->reserved[1]).store(0);
    board_word(b->reserved[2]).store(0);
    const std::vector<std::byte> header_before(host->segments()[0].base,
                                               host->segments()[0].base + kHeaderAreaSize);

    VmConfig c;
    c.name = "plain";
    c.scenario = "plain-observer";
    c.guest_args = {std::string("domain=") + kVmDomain, "go=" + std::to_string(kGo)};
    const std::string ns = server_->socket_dir() + "/ns/" + kVmDomain;
    c.extra_qemu_args = {"-object", "memory-backend-file,id=mdro,mem-path=" + ns +
                                        ",size=1M,share=on,readonly=on",
                         "-device", "ivshmem-plain,memdev=mdro"};
    Vm vm(image_, c, work_.path());

    // A host write while the guest runs is seen: token 2 goes in only after
    // the guest has read token 1 and tried its writes.
    ASSERT_TRUE(vm.wait_for_text("MDTEST-KV: guest_wrote=yes", 90s)) << vm.describe() << "\n" << server_->log();
    board_word(b->reserved[2]).store(kToken2);
    board_word(b->go).store(kGo, std::memory_order_release);
    ASSERT_TRUE(vm.wait_exit(60s)) << "guest did not power off\n" << vm.describe();
    report_times(vm);
    ASSERT_TRUE(passed(vm));
    const SerialReport r = vm.report();

    // What QEMU shows: no MSI-X table, no capability list.
    EXPECT_EQ(r.get("bar1_size"), "0") << vm.describe();
    // memdomain-info in the guest.
    EXPECT_EQ(r.get("info_role"), "observer") << vm.describe();
    EXPECT_EQ(r.get("info_self"), "none") << vm.describe();
    EXPECT_EQ(r.get("info_access"), "R/O") << vm.describe();
    EXPECT_EQ(r.get("info_interrupt_mode"), "none") << vm.describe();
    EXPECT_EQ(r.get("list_has_domain"), "1") << vm.describe();
    // The library itself, as an application sees it.
    EXPECT_EQ(r.get("has_peer_id"), "no");
    EXPECT_EQ(r.get("self"), "none");
    EXPECT_EQ(r.get("access"), "R/O");
    EXPECT_EQ(r.get("interrupt_mode"), "none");
    EXPECT_EQ(r.get("notify_errno"), std::to_string(ENOTSUP));
    EXPECT_EQ(r.get("wait_errno"), std::to_string(ENOTSUP));
    EXPECT_EQ(r.get("peers"), "1") << "the host peer is the one other peer";
    // Host writes are seen, before and during the guest's run.
    EXPECT_EQ(r.get("read_token"), hex(kToken1));
    EXPECT_EQ(r.get("live_token"), hex(kToken2));
    // The guest's writes were accepted without a fault but did not land:
    // not in the data area, not in the header, not even in the guest's view.
    EXPECT_EQ(board_word(b->reserved[1]).load(), 0u);
    EXPECT_EQ(r.get("guest_write_readback"), hex(0)) << vm.describe();
    EXPECT_EQ(std::memcmp(header_before.data(), host->segments()[0].base, kHeaderAreaSize), 0)
        << "the guest changed the header";
    EXPECT_TRUE(host->header()) << host->header().error().message;
}

}  // namespace
}  // namespace memdomain::test
