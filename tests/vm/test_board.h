// The "test board": a small fixed-layout area in a domain's data area where
// the VM tests' guest program (guest_scenario.cpp) and the host test meet.
// Each peer owns the slot at its own peer id; the host test owns `go`.
// It lives at kBoardOffset into the data area, clear of memdomain-ping's
// mailbox at offset 0, so ping/pong and the board can share one domain.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace memdomain::test {

inline constexpr std::uint64_t kBoardOffset = 64 * 1024;  // from the start of the data area
inline constexpr std::uint32_t kBoardSlots = 64;          // peer ids 0..63 (the config's default max_peers)

// Slot states, in the order a guest goes through them.
enum SlotState : std::uint64_t {
    kSlotEmpty = 0,
    kSlotWritten = 1,  // token written; doorbells set up (the domain is open)
    kSlotRang = 2,     // has rung every other VM
    kSlotDone = 3,     // has received its doorbell(s)
};

struct BoardSlot {
    std::uint64_t token;           //  0 nonzero, random: written by the slot's owner
    std::uint64_t state;           //  8 SlotState, stored last (release)
    std::uint64_t rings_received;  // 16 doorbells the owner's wait() counted
    std::uint64_t reserved[5];     // 24
};
static_assert(sizeof(BoardSlot) == 64);
static_assert(offsetof(BoardSlot, state) == 8);
static_assert(offsetof(BoardSlot, rings_received) == 16);
static_assert(std::is_standard_layout_v<BoardSlot> && std::is_trivially_copyable_v<BoardSlot>);

struct TestBoard {
    std::uint64_t go;          //   0 written by the host test: the guests wait for a value
    std::uint64_t reserved[7];  //  8
    BoardSlot slots[kBoardSlots];  // 64
};
static_assert(sizeof(TestBoard) == 64 + 64 * kBoardSlots);
static_assert(offsetof(TestBoard, slots) == 64);
static_assert(std::is_standard_layout_v<TestBoard> && std::is_trivially_copyable_v<TestBoard>);

// Peers in different VMs see each other's stores only through memory: every
// board word is read and written with atomics.
inline std::atomic_ref<std::uint64_t> board_word(std::uint64_t& w) { return std::atomic_ref<std::uint64_t>(w); }

}  // namespace memdomain::test
