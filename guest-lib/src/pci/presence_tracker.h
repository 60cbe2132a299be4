// Who is attached, as the server publishes it in segment 0's header
// (presence bitmap + presence_seq, and the per-id join epochs when the
// header's flags say the server keeps them), turned into joins and leaves
// in a PeerChanges record. This is the pci transport's only source of peer
// events: ivshmem v1 tells a guest nothing about other peers.
//
// Everything read here is written by the server but writable by every R/W
// peer: ids are masked to the validated max_peers, retries are bounded, and
// nothing read is used as an address or a loop bound.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"
#include "peer_changes.h"

namespace memdomain::pci {

class PresenceTracker {
public:
    PresenceTracker() = default;
    // `live` is the header in shared memory; `validated` the checked copy
    // (max_peers and flags come from it, so bits a hostile peer sets beyond
    // max_peers are ignored). `self` (kNoPeerId for an observer) is never
    // reported. The first snapshot is the baseline: it goes into `changes`
    // as already reported.
    PresenceTracker(const SegmentHeader* live, const SegmentHeader& validated, PeerId self,
                    detail::PeerChanges& changes);

    // Re-reads the bitmap when presence_seq moved and records what changed.
    void update(detail::PeerChanges& changes);
    // Every attached peer except self, ascending, as of the last update.
    std::vector<PeerId> peers() const;

private:
    using Bitmap = std::array<std::uint64_t, kMaxPeers / 64>;
    using Epochs = std::array<std::uint16_t, kMaxPeers>;
    // A copy taken while presence_seq stood still (bounded retries: a server
    // changing it forever must not hang us; the next update re-reads).
    void read(Bitmap& bits, Epochs& epochs, std::uint64_t* seq) const;

    const SegmentHeader* live_ = nullptr;
    std::uint32_t max_peers_ = 0;
    bool epochs_kept_ = false;
    PeerId self_ = kNoPeerId;
    std::uint64_t seq_ = 0;
    Bitmap bits_{};
    Epochs epochs_{};
};

}  // namespace memdomain::pci
