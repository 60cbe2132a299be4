// Doorbells from inside a guest: notify() bumps the target's mailbox word and
// writes (peer << 16 | vector) to the Doorbell register (BAR0 + 12; here the
// resource0 file, read back), and wait() in polling mode sees another peer's
// notify through our own mailbox word.
#include <atomic>
#include <thread>

#include "memdomain/common/ivshmem_protocol.h"
#include "pci_fixture.h"

namespace memdomain::test {
namespace {

using std::chrono::milliseconds;

TEST_F(PciTest, NotifyWritesPeerAndVectorToTheDoorbellRegister) {
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    ASSERT_TRUE(pci->notify(sock->self(), 1));
    EXPECT_EQ(sysfs_.read_register(kAddress, ivshmem::kRegDoorbell), (sock->self() << 16) | 1u);
}

TEST_F(PciTest, NotifyBumpsTheTargetsMailboxWord) {
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    const std::uint64_t before = guest_->mailbox(sock->self(), 1);
    ASSERT_TRUE(pci->notify(sock->self(), 1));
    ASSERT_TRUE(pci->notify(sock->self(), 1));
    EXPECT_EQ(guest_->mailbox(sock->self(), 1), before + 2);
    EXPECT_EQ(guest_->mailbox(sock->self(), 0), 0u);  // the other vector is untouched
}

TEST_F(PciTest, NotifyAPeerThatIsNotAttachedIsEnoent) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    const PeerId nobody = (guest_->id() + 7) % guest_->header().max_peers;
    auto st = pci->notify(nobody, 0);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, ENOENT);
    EXPECT_EQ(sysfs_.read_register(kAddress, ivshmem::kRegDoorbell), 0u);  // nothing rung
}

TEST_F(PciTest, NotifyOnAVectorOutOfRangeIsEinval) {
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto st = pci->notify(sock->self(), pci->vectors());
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().sys, EINVAL);
}

TEST_F(PciTest, PollingWaitSeesANotifyFromASocketPeer) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    std::thread ringer([&] {
        std::this_thread::sleep_for(milliseconds(30));  // let the waiter get to its sleeping phase
        EXPECT_TRUE(sock->notify(pci->self(), 1));
    });
    const auto start = std::chrono::steady_clock::now();
    auto got = pci->wait(1, milliseconds(3000));
    const auto took = std::chrono::steady_clock::now() - start;
    ringer.join();
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, 1u);
    EXPECT_LT(took, milliseconds(2000));
}

TEST_F(PciTest, PollingWaitCountsCoalescedNotifies) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(sock->notify(pci->self(), 0));
    auto got = pci->wait(0, milliseconds(0));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, 3u);
    auto again = pci->wait(0, milliseconds(0));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 0u);  // consumed
}

TEST_F(PciTest, PollingWaitTimesOutWhenNobodyRings) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    const auto start = std::chrono::steady_clock::now();
    auto got = pci->wait(0, milliseconds(50));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, 0u);
    EXPECT_GE(took, milliseconds(50));
    EXPECT_LT(took, milliseconds(1000));
}

TEST_F(PciTest, PollingWaitOnAnotherVectorDoesNotSeeTheRing) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    auto sock = open_socket();
    ASSERT_TRUE(sock) << sock.error().message;
    ASSERT_TRUE(sock->notify(pci->self(), 1));
    auto got = pci->wait(0, milliseconds(20));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, 0u);
}

// The mailbox word is in shared memory: any R/W peer can write anything to
// it, or move it backwards. What wait() derives from it is capped.
TEST_F(PciTest, PollingWaitCapsWhatAPeerWroteIntoOurMailbox) {
    auto pci = open_pci();
    ASSERT_TRUE(pci) << pci.error().message;
    std::uint64_t* word = mailbox_word(guest_->memory(), guest_->header(), pci->self(), 0);
    ASSERT_NE(word, nullptr);
    std::atomic_ref<std::uint64_t> w(*word);
    w.fetch_add(0x7fffffffffffffffull);
    auto got = pci->wait(0, milliseconds(0));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, kMaxWaitCount);
    w.fetch_sub(3);  // backwards: looks like 2^64 - 3 rings
    got = pci->wait(0, milliseconds(0));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, kMaxWaitCount);
    got = pci->wait(0, milliseconds(0));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, 0u) << "the cap must not leave a remainder behind";
}

}  // namespace
}  // namespace memdomain::test
