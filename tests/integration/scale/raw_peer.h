// A lean peer of a memdomain for tests that attach hundreds of peers from one
// process. It speaks the ivshmem server protocol message by message (as
// tests/support/host_peer.h does) but keeps only what one peer needs to be
// checked: its socket, its own eventfds and a read-only mapping of the
// segment (to read the live header's presence bitmap). Other peers' eventfds
// are counted and closed at once, so a peer costs this process 1 + vectors
// descriptors instead of 1 + peers x vectors (256 HostPeers would hold 65k).
//
// A refused connection (version 0, then id -1 without fd, then hang-up) is an
// ECONNREFUSED error, so a test can tell a refusal from any other failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test {

class RawPeer {
public:
    // Connects and reads the initial burst (version, id, memory, the others'
    // eventfds, our own). ECONNREFUSED: the server sent the refusal pair.
    static Result<RawPeer> join(const std::string& socket_path,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));

    RawPeer(RawPeer&&) noexcept = default;
    RawPeer& operator=(RawPeer&&) noexcept = default;

    std::int64_t id() const { return id_; }
    // Applies every message already waiting on the socket (joins, leaves)
    // without blocking. ECONNRESET once the server hung up.
    Status pump();
    // Other peers this one has heard of (all `vectors` eventfds received) and
    // not heard leave.
    const std::set<std::int64_t>& others() const { return others_; }
    // The segment's header as it is now in shared memory (not a copy).
    const SegmentHeader& live_header() const { return *static_cast<const SegmentHeader*>(map_.data()); }
    // Reads peer_count and the presence bitmap of the live header, as any
    // peer would, retrying while presence_seq changes under us.
    std::uint64_t header_peer_count() const;
    std::set<std::uint32_t> header_present_ids() const;
    // Descriptors this peer holds: its socket and its own eventfds.
    std::size_t fds_held() const { return 1 + own_.size(); }
    void leave() { sock_.reset(); }

private:
    RawPeer() = default;
    Status apply(std::int64_t value, sys::UniqueFd fd);

    sys::UniqueFd sock_;
    std::int64_t id_ = -1;
    std::uint32_t vectors_ = 0;
    sys::Mapping map_;
    std::vector<sys::UniqueFd> own_;
    std::map<std::int64_t, std::uint32_t> partial_;  // eventfds received per peer still joining
    std::set<std::int64_t> others_;
};

}  // namespace memdomain::test
