// The fixed-layout message that memdomain-ping and its pong partner share at
// the start of a domain's data area. ping writes message, sender and (last,
// with release order) sequence, then rings pong; pong reads them, writes
// the sequence it answers into echo and rings the sender back.
// One pinger per domain at a time: there is a single mailbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace memdomain::tools {

inline constexpr std::uint64_t kPingMagic = 0x31474e4950444d4dULL;  // "MMDPING1" little-endian

struct PingMailbox {
    std::uint64_t magic;         //  0 kPingMagic once a pinger has written here
    std::uint32_t sender;        //  8 the pinger's peer id: who pong rings back
    std::uint32_t message_size;  // 12 bytes of message used (<= sizeof message)
    std::uint64_t sequence;      // 16 the ping's number, stored last
    std::uint64_t echo;          // 24 the sequence pong answered, stored before its ring
    char message[224];           // 32 not NUL-terminated
};

static_assert(sizeof(PingMailbox) == 256);
static_assert(offsetof(PingMailbox, sender) == 8);
static_assert(offsetof(PingMailbox, message_size) == 12);
static_assert(offsetof(PingMailbox, sequence) == 16);
static_assert(offsetof(PingMailbox, echo) == 24);
static_assert(offsetof(PingMailbox, message) == 32);
static_assert(std::is_standard_layout_v<PingMailbox> && std::is_trivially_copyable_v<PingMailbox>);

}  // namespace memdomain::tools
