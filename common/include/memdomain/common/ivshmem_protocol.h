// QEMU's ivshmem server protocol, as memdomaind speaks it on every
// "<dir>/<domain>.sock". Stock QEMU (`-device ivshmem-doorbell,chardev=...`)
// is a client, unchanged, and so is libmemdomain's socket transport.
//
// The stream is a sequence of messages. Each message is one little-endian
// int64 sent by the server, possibly with exactly one file descriptor attached
// through SCM_RIGHTS. Clients never send anything; the server treats any byte
// received from a client as a protocol violation and disconnects it.
//
// On connect, in this order:
//   1. kProtocolVersion (0), no fd.
//   2. The client's own peer id, no fd.
//   3. -1 with the shared-memory fd (the segment's memfd; O_RDONLY for a
//      read-only grant). Sent exactly once; QEMU refuses a second one.
//   4. For every other connected peer P, for each vector v in 0..vectors-1:
//      P with P's eventfd for vector v (so the client can ring P).
//   5. For each vector v: the client's own id with its own eventfd for v (the
//      client waits on these; QEMU wires them to MSI-X vector v).
// After that, at any time:
//   - A new peer N joined: every other client receives, for each vector,
//     N with N's eventfd for that vector.
//   - A peer L left: every other client receives L with no fd; the client
//     closes every eventfd it holds for L.
// Refusal (not granted, domain full, read-only grant to a QEMU doorbell):
//   the server sends kProtocolVersion, then kRefusedId (-1) as the peer id,
//   and closes. QEMU then stops with "server sent invalid ID message" instead
//   of waiting forever; libmemdomain reports EACCES. The reason is logged by
//   the server only: a refused client learns nothing about the domain.
// A client knows its initial burst is complete when it has received its own
// id `vectors` times (vectors is in the segment header).
//
// Ringing peer P on vector v: write a u64 1 to P's eventfd for v. In a VM,
// QEMU does this when the guest writes (P << 16 | v) to BAR0 + kRegDoorbell.
//
// Peer ids: 0 .. max_peers-1 (max_peers <= 1024, from the config). Ids are
// unique among connected peers; a freed id is not handed out again at once:
// the server hands out ids round-robin from the one after the last it gave,
// so an id is reused only after every other free id was used since.
#pragma once

#include <cstdint>

namespace memdomain::ivshmem {

inline constexpr std::int64_t kProtocolVersion = 0;
inline constexpr std::int64_t kSharedMemoryId = -1;
inline constexpr std::int64_t kRefusedId = -1;  // as the peer id message

// ivshmem BAR0 registers (32-bit each).
inline constexpr std::uint32_t kRegIntrMask = 0;
inline constexpr std::uint32_t kRegIntrStatus = 4;
inline constexpr std::uint32_t kRegIVPosition = 8;
inline constexpr std::uint32_t kRegDoorbell = 12;
inline constexpr std::uint32_t kBar0Size = 256;

inline constexpr std::uint16_t kPciVendor = 0x1af4;
inline constexpr std::uint16_t kPciDevice = 0x1110;

inline constexpr std::uint32_t doorbell_value(std::uint32_t peer, std::uint32_t vector) {
    return (peer << 16) | (vector & 0xffff);
}

}  // namespace memdomain::ivshmem
