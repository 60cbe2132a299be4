// Who is attached, as the server publishes it in segment 0's header
// (presence bitmap + presence_seq), turned into a peer set and Joined/Left
// events. This is the pci transport's only source of peer events: ivshmem v1
// tells a guest nothing about other peers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"

namespace memdomain::pci {

class PresenceTracker {
public:
    PresenceTracker() = default;
    // `live` is the header in shared memory; `max_peers` comes from the
    // validated copy, so bits a hostile peer sets beyond it are ignored.
    // The first snapshot is the baseline: it produces no events.
    PresenceTracker(const SegmentHeader* live, std::uint32_t max_peers, PeerId self);

    // Re-reads the bitmap when presence_seq moved; appends what changed
    // (ascending ids, leaves before joins) to `out` when not null.
    void update(std::vector<PeerEvent>* out);
    // Every attached peer except self, ascending, as of the last update.
    std::vector<PeerId> peers() const;

private:
    using Bitmap = std::array<std::uint64_t, kMaxPeers / 64>;
    // A copy taken while presence_seq stood still (bounded retries: a server
    // changing it forever must not hang us; the next update re-reads).
    Bitmap read(std::uint64_t* seq) const;

    const SegmentHeader* live_ = nullptr;
    std::uint32_t max_peers_ = 0;
    PeerId self_ = 0;
    std::uint64_t seq_ = 0;
    Bitmap bits_{};
};

}  // namespace memdomain::pci
