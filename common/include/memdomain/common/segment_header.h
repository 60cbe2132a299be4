// The header at offset 0 of every segment. It is how a guest, which sees only
// an anonymous PCI BAR, learns which domain it is looking at, and how peers
// learn who else is attached (ivshmem v1 gives guests no such thing).
//
// Layout of a segment of `segment_size` bytes (all offsets from segment start):
//
//   [0, 4096)                    SegmentHeader (this struct, zero padded)
//   [mailbox_offset, +mailbox_size)
//                                 one 64-byte line per peer id: a u64 counter
//                                 per vector, bumped by a notifier before it
//                                 rings the doorbell. Guests without
//                                 interrupts (no vfio) poll their own line.
//   [data_offset, segment_size)  the data area: what applications use.
//
// Rules:
// - Fixed-width fields, explicit padding, no pointers: only offsets.
// - Only the server writes the header; peers write only the mailbox and the
//   data area. The server never trusts what it reads back from the header.
// - Readers validate every field (validate_segment_header) before use: a
//   read-write peer can scribble here, and a guest must get an error, not a
//   crash.
// - presence is a bitmap of attached peer ids, written by the server with
//   atomic stores; presence_seq is bumped after each change so a reader can
//   detect that it changed (and re-read if it changed while reading).
// - peer_epoch (flag kHeaderPeerEpochs): the server bumps peer_epoch[id]
//   each time it admits a peer with that id, before setting its presence
//   bit. Peer ids are reused, so (id, epoch) is what names one attachment:
//   a record in the data area that carries the pair (an arena claim, a
//   published name) belongs to a live peer only while the id is present and
//   its epoch still matches. The epoch is never 0 once a peer has joined; it
//   wraps after 65535 joins of one id. After a server restart every epoch is
//   bumped once more, so records of the old process's peers read as stale.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "memdomain/common/result.h"

namespace memdomain {

inline constexpr char kSegmentMagic[8] = {'M', 'E', 'M', 'D', 'O', 'M', 'N', '1'};
inline constexpr std::uint32_t kLayoutVersion = 1;
inline constexpr std::uint64_t kHeaderAreaSize = 4096;
inline constexpr std::uint32_t kMaxPeers = 1024;  // ids 0..1023; bitmap below
inline constexpr std::uint32_t kMaxVectors = 8;   // one 64-byte mailbox line per peer
inline constexpr std::uint64_t kMailboxStride = 64;

enum class SegmentAccess : std::uint32_t { ReadOnly = 1, ReadWrite = 2 };
// What one instance of a domain is ("type" in the config).
enum class InstanceKind : std::uint32_t { Shared = 0, Local = 1, Numa = 2 };
inline constexpr std::uint32_t kInstancePrefaulted = 1u << 0;  // policy static: every page faulted at creation
inline constexpr std::uint32_t kInstanceContiguous = 1u << 1;  // physically contiguous, checked at creation
// SegmentHeader::flags
inline constexpr std::uint32_t kHeaderPeerEpochs = 1u << 0;  // peer_epoch[] is maintained

struct SegmentHeader {
    char magic[8];                 //   0 "MEMDOMN1"
    std::uint32_t layout_version;  //   8 kLayoutVersion
    std::uint32_t header_size;     //  12 sizeof(SegmentHeader)
    char domain_name[64];          //  16 NUL-terminated, validated name
    std::uint32_t segment_index;   //  80
    std::uint32_t segment_count;   //  84
    std::uint64_t page_size;       //  88 4 KiB, 2 MiB or 1 GiB
    std::uint64_t segment_size;    //  96 whole segment, header included
    std::uint64_t data_offset;     // 104 start of the data area
    std::uint64_t data_size;       // 112 data_offset + data_size == segment_size
    std::uint64_t generation;      // 120 random per domain instance: changes if re-created
    std::uint32_t access;          // 128 SegmentAccess: the most any peer gets
    std::uint32_t vectors;         // 132 doorbell vectors per peer (1..kMaxVectors)
    std::uint32_t max_peers;       // 136 peer ids are < max_peers <= kMaxPeers
    std::uint32_t flags;           // 140 kHeader* bits
    std::uint64_t mailbox_offset;  // 144
    std::uint64_t mailbox_size;    // 152 max_peers * kMailboxStride
    std::uint64_t presence_seq;    // 160 bumped after every presence change
    std::uint64_t peer_count;      // 168 number of bits set in presence
    std::uint64_t presence[kMaxPeers / 64];  // 176 bit i set: peer id i attached
    std::uint64_t map_address;     // 304 0, or where clients must map this segment (config "vaddr")
    std::int32_t numa_node;        // 312 the node of a numa instance (its memory is bound there unless the server
                                   //     runs on a fake topology), or -1
    std::uint32_t instance_kind;   // 316 InstanceKind: shared, one peer's local instance, a node's
    std::uint32_t instance_flags;  // 320 kInstance* bits
    std::uint32_t reserved0;       // 324 0
    std::uint16_t peer_epoch[kMaxPeers];  // 328 bumped by the server at each admission of that id
    std::uint8_t reserved[1720];   // 2376 pads the struct to one 4 KiB page
};

static_assert(sizeof(SegmentHeader) == kHeaderAreaSize);
static_assert(offsetof(SegmentHeader, magic) == 0);
static_assert(offsetof(SegmentHeader, layout_version) == 8);
static_assert(offsetof(SegmentHeader, domain_name) == 16);
static_assert(offsetof(SegmentHeader, segment_index) == 80);
static_assert(offsetof(SegmentHeader, page_size) == 88);
static_assert(offsetof(SegmentHeader, generation) == 120);
static_assert(offsetof(SegmentHeader, access) == 128);
static_assert(offsetof(SegmentHeader, mailbox_offset) == 144);
static_assert(offsetof(SegmentHeader, presence_seq) == 160);
static_assert(offsetof(SegmentHeader, presence) == 176);
static_assert(offsetof(SegmentHeader, map_address) == 304);
static_assert(offsetof(SegmentHeader, numa_node) == 312);
static_assert(offsetof(SegmentHeader, instance_kind) == 316);
static_assert(offsetof(SegmentHeader, instance_flags) == 320);
static_assert(offsetof(SegmentHeader, peer_epoch) == 328);
static_assert(offsetof(SegmentHeader, reserved) == 2376);
static_assert(std::is_standard_layout_v<SegmentHeader> && std::is_trivially_copyable_v<SegmentHeader>);
static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t));
static_assert(std::atomic_ref<std::uint16_t>::required_alignment <= alignof(std::uint16_t));

// What the server puts in a new header.
struct SegmentHeaderSpec {
    std::string_view domain_name;
    std::uint32_t segment_index = 0;
    std::uint32_t segment_count = 1;
    std::uint64_t page_size = 4096;
    std::uint64_t segment_size = 0;
    std::uint64_t generation = 0;
    SegmentAccess access = SegmentAccess::ReadWrite;
    std::uint32_t vectors = 1;
    std::uint32_t max_peers = 64;
    std::uint64_t map_address = 0;  // 0: anywhere
    std::int32_t numa_node = -1;
    InstanceKind instance_kind = InstanceKind::Shared;
    std::uint32_t instance_flags = 0;
};

// Where the mailbox and the data area go for a given spec; data_offset is
// rounded to 4 KiB. Error if the segment is too small to hold any data.
struct SegmentGeometry {
    std::uint64_t mailbox_offset, mailbox_size, data_offset, data_size;
};
Result<SegmentGeometry> segment_geometry(const SegmentHeaderSpec& spec);

// Writes a complete header (presence empty, every peer epoch 0) at `dst`, which must be the start
// of a writable mapping of at least kHeaderAreaSize bytes.
Status write_segment_header(void* dst, const SegmentHeaderSpec& spec);

// Checks a header read from memory the caller does not trust (a BAR, a
// received fd). `mapped_size` is how many bytes of the segment the caller has
// mapped (a BAR may be larger than the segment, never smaller). Returns the
// validated copy; every offset and size in it lies within mapped_size.
Result<SegmentHeader> validate_segment_header(const void* src, std::uint64_t mapped_size);

// Presence updates, done by the server only.
void header_set_present(SegmentHeader* h, std::uint32_t peer, bool present);
// Presence reads, by anyone: is bit `peer` set (peer < kMaxPeers).
bool header_is_present(const SegmentHeader* h, std::uint32_t peer);
// Join epochs. The server bumps a peer's before setting its presence bit
// (never to 0); anyone reads them (0 for peer >= kMaxPeers).
void header_bump_peer_epoch(SegmentHeader* h, std::uint32_t peer);
std::uint16_t header_peer_epoch(const SegmentHeader* h, std::uint32_t peer);
// The address of the mailbox counter for (peer, vector) in a mapped segment.
std::uint64_t* mailbox_word(void* segment_base, const SegmentHeader& validated, std::uint32_t peer,
                            std::uint32_t vector);

std::string_view header_domain_name(const SegmentHeader& validated);

}  // namespace memdomain
