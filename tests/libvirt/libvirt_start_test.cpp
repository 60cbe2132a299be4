// virsh start of two VMs whose domain XML names a memdomain in a <shmem>:
// the hook leases it to both at prepare (the access block permits any VM:
// "vm * = R/W"), each guest opens the domain BY NAME with libmemdomain, and
// the two guests and a host peer (this test process) exchange tokens and
// doorbells (guest-scenario exchange, vm-images/scenarios/exchange.sh).
// When the guests power off, the hook's release drops both leases.
#include <random>

#include "libvirt_fixture.h"
#include "test_board.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Shared {
    vectors = 2
    size {
        huge 4K = 1MB R/W
    }
    access {
        user root = R/W
        vm * = R/W
    }
}
)";

// The host's side of guest-scenario exchange (tests/vm/guest_scenario.cpp):
// token on our slot, the others' tokens read, each rung once, a ring
// received, then we wait until every VM has received its own.
struct HostExchange {
    std::uint64_t token = 0;
    std::map<PeerId, std::uint64_t> read;
    std::uint64_t rings = 0;
};

::testing::AssertionResult exchange(Domain& d, unsigned peers, HostExchange& out, std::chrono::seconds timeout) {
    auto* board = reinterpret_cast<TestBoard*>(static_cast<std::byte*>(d.data()) + kBoardOffset);
    BoardSlot& mine = board->slots[d.self()];
    std::random_device rd;
    while (out.token == 0) out.token = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    board_word(mine.token).store(out.token, std::memory_order_relaxed);
    board_word(mine.state).store(kSlotWritten, std::memory_order_release);
    auto others_at = [&](std::uint64_t state) {
        std::vector<PeerId> ids;
        for (PeerId i = 0; i < kBoardSlots; ++i)
            if (i != d.self() && board_word(board->slots[i].state).load(std::memory_order_acquire) >= state)
                ids.push_back(i);
        return ids;
    };
    if (!eventually([&] { return others_at(kSlotWritten).size() >= peers - 1; }, timeout))
        return ::testing::AssertionFailure() << "only " << others_at(kSlotWritten).size() << " of " << peers - 1
                                             << " VMs wrote a token";
    const auto present = d.peers();
    for (PeerId p : others_at(kSlotWritten)) {
        if (std::find(present.begin(), present.end(), p) == present.end())
            return ::testing::AssertionFailure() << "peer " << p << " wrote a token but is not in peers()";
        out.read[p] = board_word(board->slots[p].token).load(std::memory_order_acquire);
        if (auto st = d.notify(p, 0); !st) return ::testing::AssertionFailure() << "ring " << p << ": " << st.error().message;
    }
    board_word(mine.state).store(kSlotRang, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.rings == 0 && std::chrono::steady_clock::now() < deadline) {
        auto n = d.wait(0, 500ms);
        if (!n) return ::testing::AssertionFailure() << "wait: " << n.error().message;
        out.rings += *n;
    }
    if (out.rings == 0) return ::testing::AssertionFailure() << "no VM rang the host";
    board_word(mine.state).store(kSlotDone, std::memory_order_release);
    if (!eventually([&] { return others_at(kSlotDone).size() >= peers - 1; }, timeout))
        return ::testing::AssertionFailure() << "not every VM received its doorbell";
    return ::testing::AssertionSuccess();
}

std::uint64_t hex(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 16); }

class LibvirtStart : public LibvirtTest {};

TEST_F(LibvirtStart, TwoVmsNamingTheDomainExchangeDataAndDoorbellsWithEachOtherAndAHostPeer) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    auto host = attach_host("Shared");
    ASSERT_TRUE(host) << host.error().message;
    std::vector<std::unique_ptr<LibvirtGuest>> vms;
    for (const char* name : {"lv-a", "lv-b"}) {
        GuestSpec spec{name, "exchange", {"domain=Shared", "vms=3"}, shmem_xml("Shared")};
        spec.guest_timeout_s = 150;
        vms.push_back(guest(spec));
        const CommandResult started = vms.back()->create();
        ASSERT_EQ(started.exit_code, 0) << started.output << logs();
    }
    EXPECT_EQ(leases("Shared"), (std::map<std::string, std::string>{{"lv-a", "R/W"}, {"lv-b", "R/W"}}))
        << "the hook leased the domain to both VMs at prepare";
    const auto pids = peer_pids("Shared");
    for (const auto& vm : vms) {
        const auto qemu = vm->qemu_pid();
        ASSERT_TRUE(qemu) << vm->describe();
        EXPECT_NE(std::find(pids.begin(), pids.end(), *qemu), pids.end())
            << "QEMU of " << vm->name() << " is attached to the server";
    }

    HostExchange me;
    ASSERT_TRUE(exchange(*host, 3, me, 150s)) << vms[0]->describe() << vms[1]->describe();
    for (const auto& vm : vms) ASSERT_TRUE(vm->wait_gone(120s)) << vm->describe();

    std::map<std::string, SerialReport> r;
    for (const auto& vm : vms) {
        r[vm->name()] = vm->report();
        ASSERT_TRUE(r[vm->name()].passed()) << vm->describe();
        EXPECT_EQ(r[vm->name()].get("transport"), "pci") << "opened by name through the PCI transport";
        EXPECT_EQ(r[vm->name()].get("interrupt_mode"), "vfio-msix");
        EXPECT_GE(std::atoi(r[vm->name()].get("doorbell_received").c_str()), 1);
        EXPECT_EQ(hex(r[vm->name()].get("read_from_" + std::to_string(host->self()))), me.token)
            << vm->name() << " read the host's token";
    }
    const std::string self_a = r["lv-a"].get("self"), self_b = r["lv-b"].get("self");
    EXPECT_NE(self_a, self_b);
    EXPECT_EQ(r["lv-a"].get("read_from_" + self_b), r["lv-b"].get("wrote_token"));
    EXPECT_EQ(r["lv-b"].get("read_from_" + self_a), r["lv-a"].get("wrote_token"));
    EXPECT_EQ(me.read[std::stoul(self_a)], hex(r["lv-a"].get("wrote_token")));
    EXPECT_EQ(me.read[std::stoul(self_b)], hex(r["lv-b"].get("wrote_token")));
    EXPECT_GE(me.rings, 1u);
    EXPECT_TRUE(eventually([&] { return leases("Shared").empty(); }, 10s))
        << "the hook's release dropped the leases of the powered-off VMs\n" << show("Shared").dump(2);
}

}  // namespace
}  // namespace memdomain::test
