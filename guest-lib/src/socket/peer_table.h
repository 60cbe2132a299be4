// The other peers of a socket-attached domain as segment 0's connection
// describes them: each peer's eventfds (one per vector, arriving one message
// each), which of them are complete enough to be rung on every vector
// (peers() and events() show only those), and the coalesced record of joins
// and leaves for events() (peer_changes.h).
//
// Everything it keeps is bounded by the domain: at most max_peers entries of
// at most `vectors` eventfds, and a few bits per id. A leaver's eventfds are
// closed the moment its leave is applied, so the process's fd count follows
// the peers actually attached, not how many ever came.
//
// Not thread-safe by itself: SocketTransport holds its lock around every call.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "memdomain/domain.h"
#include "memdomain/sys/fd.h"
#include "peer_changes.h"

namespace memdomain::detail {

class PeerTable {
public:
    PeerTable() = default;
    // `initial`: the eventfds of the initial burst (a peer with fewer than
    // `vectors` is still attaching). They are the baseline: no events.
    PeerTable(std::uint32_t vectors, std::uint32_t max_peers, PeerId self,
              std::map<PeerId, std::vector<sys::UniqueFd>> initial);

    // Applies one message received after the initial burst: `fd` valid is
    // one more eventfd of peer `id` (a join), invalid is its leave. Ids out
    // of range, our own id and surplus eventfds are dropped, as QEMU does.
    void apply(std::int64_t id, sys::UniqueFd fd);

    // Complete peers, ascending.
    std::vector<PeerId> peers() const;
    // Peer `peer`'s eventfd for `vector`, or -1 when it has none (yet).
    int eventfd(PeerId peer, std::uint32_t vector) const;
    // True when `peer` is known but its eventfd for `vector` has not come.
    bool attaching(PeerId peer, std::uint32_t vector) const;

    PeerChanges& changes() { return changes_; }

private:
    bool complete(const std::vector<sys::UniqueFd>& fds) const { return fds.size() == vectors_; }

    std::uint32_t vectors_ = 0;
    std::uint32_t max_peers_ = 0;
    PeerId self_ = 0;
    std::map<PeerId, std::vector<sys::UniqueFd>> peers_;
    PeerChanges changes_;
};

}  // namespace memdomain::detail
