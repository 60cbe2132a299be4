// What Domain::events() has to report, kept per peer id rather than as a
// list, so that it stays the same size however many peers come and go
// between two calls (or when events() is never called at all). Shared by
// both transports: the socket transport feeds it from the server's join and
// leave messages, the pci transport from the presence bitmap.
//
// Per id it keeps three bits: is the peer there now, was it there when the
// application last asked (`reported`), and has a peer the application was
// told about left since (`replaced`: ids are reused, so one id can leave and
// be taken by a newcomer between two calls). take() turns them into at most
// one Left and one Joined per id: the net change since the last call. A peer
// that came and went entirely between two calls is not reported; a peer
// replaced by another under the same id is reported as Left then Joined.
// Events come out leaves first, then joins, each in ascending id order.
//
// Internal to libmemdomain; not thread-safe by itself (callers lock).
#pragma once

#include <bitset>
#include <cstdint>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"

namespace memdomain::detail {

class PeerChanges {
public:
    // Ids at or past kMaxPeers are ignored (callers bound ids already).
    void joined(PeerId id) {
        if (id >= kMaxPeers) return;
        present_.set(id);
    }
    void left(PeerId id) {
        if (id >= kMaxPeers) return;
        present_.reset(id);
        if (reported_.test(id)) replaced_.set(id);
    }
    // A peer left and another took its id, both since the last look (the pci
    // transport sees this as a changed join epoch, not as two bitmap states).
    void cycled(PeerId id) {
        left(id);
        joined(id);
    }
    // True when take() would return something.
    bool pending() const { return (present_ ^ reported_).any() || replaced_.any(); }
    // The net change since the last take(), then forgets it.
    std::vector<PeerEvent> take() {
        std::vector<PeerEvent> out;
        const Bits leaves = reported_ & (replaced_ | ~present_);
        const Bits joins = present_ & (replaced_ | ~reported_);
        for (PeerId id = 0; id < kMaxPeers; ++id)
            if (leaves.test(id)) out.push_back({PeerEvent::Kind::Left, id});
        for (PeerId id = 0; id < kMaxPeers; ++id)
            if (joins.test(id)) out.push_back({PeerEvent::Kind::Joined, id});
        reported_ = present_;
        replaced_.reset();
        return out;
    }

private:
    using Bits = std::bitset<kMaxPeers>;
    Bits present_, reported_, replaced_;
};

}  // namespace memdomain::detail
