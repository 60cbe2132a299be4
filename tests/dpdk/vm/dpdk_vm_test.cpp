// dpdk-testpmd between two TCG guests over net_memdomain: each guest (the
// DPDK guest image, vm-images/build-dpdk-guest-image.sh) sees the domain as
// an ivshmem device and runs unmodified dpdk-testpmd, txonly in one and
// rxonly in the other. The sender stops first (its stop drains the channel),
// the receiver sees the link go down and stops: it must have received
// exactly what the sender counted. Boots are slow under TCG, so this is one
// run with a short send.
#include <gtest/gtest.h>

#include <cstdlib>

#include "server_fixture.h"
#include "vm_launcher.h"

namespace memdomain::test {
namespace {

TEST(DpdkVm, TestpmdTxonlyToRxonlyBetweenTwoGuests) {
    // Debian's DPDK needs SSE4.2: QEMU runs with -cpu max (a wrapper that
    // execs QEMU in place, so the launcher's PID is still QEMU's).
    if (const char* q = std::getenv("MEMDOMAIN_QEMU"); q != nullptr && *q != '\0' && !std::getenv("MEMDOMAIN_QEMU_REAL"))
        ::setenv("MEMDOMAIN_QEMU_REAL", q, 1);
    ::setenv("MEMDOMAIN_QEMU", DPDK_GUEST_QEMU, 1);
    std::string why;
    auto image = GuestImage::find(&why);
    ASSERT_TRUE(image.has_value()) << why;
    ASSERT_TRUE(image->has_tool("dpdk-testpmd")) << "the guest image in " << image->dir << " has no DPDK";
    const std::string name = "DpdkVm";
    // 64 MiB: two 8 MiB arenas (arena-size=8) and the directory.
    Server server(domain_config(name, "64MB", 2, "4K", "R/W"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    TempDir work;
    auto config = [&](const char* vm, const char* mode) {
        VmConfig c;
        c.name = vm;
        c.scenario = "dpdk-testpmd";
        c.guest_args = {"domain=" + name, std::string("mode=") + mode, "seconds=3", "frame=64"};
        c.doorbell_socket = server.socket(name);
        c.vectors = 2;
        c.memory = "512M";  // the DPDK archive unpacked, plus the EAL's 128 MiB
        c.guest_timeout_s = 150;
        return c;
    };
    Vm rx(*image, config("rx", "rxonly"), work.path());
    Vm tx(*image, config("tx", "txonly"), work.path());
    ASSERT_TRUE(tx.wait_for_text("MDTEST-POWEROFF", std::chrono::seconds(170), {&rx})) << tx.describe() << rx.describe();
    ASSERT_TRUE(rx.wait_for_text("MDTEST-POWEROFF", std::chrono::seconds(30), {})) << rx.describe() << tx.describe();
    const SerialReport t = tx.report(), r = rx.report();
    ASSERT_TRUE(t.passed()) << tx.describe();
    ASSERT_TRUE(r.passed()) << rx.describe();
    const std::string sent = t.get("tx_packets"), got = r.get("rx_packets");
    ASSERT_FALSE(sent.empty()) << tx.describe();
    EXPECT_GT(std::strtoull(sent.c_str(), nullptr, 10), 0u) << tx.describe();
    EXPECT_EQ(got, sent) << "receiver:\n" << rx.describe() << "\nsender:\n" << tx.describe();
    std::printf("[ VM-METRIC ] DPDK guests: %s frames of 64 B in ~3 s of TCG, all received\n", sent.c_str());
}

}  // namespace
}  // namespace memdomain::test
