// What Domain::events() has to report, kept per peer id rather than as a
// list, so that it stays the same size however many peers come and go
// between two calls (or when events() is never called at all). Shared by
// both transports: the socket transport feeds it from the server's join and
// leave messages, the pci transport from the presence bitmap and the join
// epochs.
//
// Per id it keeps four bits: is a peer there now (`present`), was one there
// when the application last asked (`reported`), has that one left since
// (`replaced`: ids are reused, so one id can leave and be taken by a
// newcomer between two calls), and did some other peer come and go under
// this id meanwhile (`transient`). take() turns them into at most four
// events per id, in the order they happened:
//   Left            the peer the application was told of has gone,
//   Joined, Left    one or more peers came and went since (coalesced: one
//                   pair stands for all of them, so an application that saw
//                   such a peer through peers() still hears that it left),
//   Joined          the peer there now is new to the application.
// Ids come in ascending order.
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
        if (id >= kMaxPeers || !present_.test(id)) return;
        present_.reset(id);
        if (reported_.test(id) && !replaced_.test(id))
            replaced_.set(id);  // the peer the application knows
        else
            transient_.set(id);  // one that came after it
    }
    // A peer left and another took its id, both since the last look (the pci
    // transport sees this as a changed join epoch, not as two bitmap states).
    void cycled(PeerId id) {
        left(id);
        joined(id);
    }
    // True when take() would return something.
    bool pending() const { return (present_ ^ reported_).any() || replaced_.any() || transient_.any(); }
    // What happened since the last take(), then forgets it.
    std::vector<PeerEvent> take() {
        std::vector<PeerEvent> out;
        for (PeerId id = 0; id < kMaxPeers; ++id) {
            const bool reported = reported_.test(id), present = present_.test(id), replaced = replaced_.test(id);
            if (reported && replaced) out.push_back({PeerEvent::Kind::Left, id});
            if (transient_.test(id)) {
                out.push_back({PeerEvent::Kind::Joined, id});
                out.push_back({PeerEvent::Kind::Left, id});
            }
            if (present && (!reported || replaced)) out.push_back({PeerEvent::Kind::Joined, id});
        }
        reported_ = present_;
        replaced_.reset();
        transient_.reset();
        return out;
    }

private:
    using Bits = std::bitset<kMaxPeers>;
    Bits present_, reported_, replaced_, transient_;
};

}  // namespace memdomain::detail
