// A host-side peer of a memdomain that reads the ivshmem server protocol
// (memdomain/common/ivshmem_protocol.h) message by message, with nothing of
// libmemdomain in between, so a test sees exactly what the server sends: how
// many eventfds each peer comes with, when a peer leaves. It maps the shared
// memory fd it receives (read-only when the server sent a read-only fd), can
// ring any peer's vector and can wait on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test {

struct PeerEvent {
    enum class Kind { Joined, Left } kind;
    std::int64_t peer;
};

class HostPeer {
public:
    // Connects and reads the initial burst: version 0, our id, the memory
    // fd, other peers' eventfds, then our own `vectors` eventfds (vectors is
    // read from the validated segment header). ECONNREFUSED: the server
    // sent the refusal pair (ivshmem_greeting.h).
    static Result<HostPeer> connect(const std::string& socket_path,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

    HostPeer(HostPeer&&) noexcept = default;
    HostPeer& operator=(HostPeer&&) noexcept = default;

    std::int64_t id() const { return id_; }
    std::uint32_t vectors() const { return header_.vectors; }
    const SegmentHeader& header() const { return header_; }  // validated at connect
    // The mapped segment; read-only (writes fault) unless writable().
    std::byte* memory() const { return map_.bytes(); }
    // False when the server sent a read-only fd (a R/O grant).
    bool writable() const { return writable_; }
    std::size_t memory_size() const { return map_.size(); }
    // The data area of the segment (header().data_offset into memory()).
    std::byte* data() const { return map_.bytes() + header_.data_offset; }
    // The memory fd the server sent (to try ftruncate and the like on it).
    int memory_fd() const { return memfd_.get(); }

    // Reads messages for at most `timeout` and returns the first join (a
    // peer's `vectors`-th eventfd) or leave (a peer id without fd); nullopt
    // when none completed in time. Every message read is applied.
    Result<std::optional<PeerEvent>> next_event(std::chrono::milliseconds timeout);
    // Waits for a join of any peer; its id. ETIMEDOUT if none.
    Result<std::int64_t> wait_join(std::chrono::milliseconds timeout);
    // Waits for `peer` to leave. ETIMEDOUT if it did not.
    Status wait_leave(std::int64_t peer, std::chrono::milliseconds timeout);
    // Applies whatever arrives within `duration` (e.g. to catch surplus fds).
    Status drain(std::chrono::milliseconds duration);

    // Eventfds we hold for `peer` (0 for an unknown or departed peer).
    std::size_t eventfd_count(std::int64_t peer) const;
    std::vector<std::int64_t> peer_ids() const;

    // Rings `peer` on `vector` through its eventfd.
    Status ring(std::int64_t peer, std::uint32_t vector);
    // Waits for our own `vector` to be rung; true (and drained) if it was.
    Result<bool> wait_doorbell(std::uint32_t vector, std::chrono::milliseconds timeout);

private:
    HostPeer() = default;
    // Applies one message; returns the event it completed, if any.
    Result<std::optional<PeerEvent>> apply(std::int64_t value, sys::UniqueFd fd);

    sys::UniqueFd sock_;
    std::int64_t id_ = -1;
    sys::UniqueFd memfd_;
    sys::Mapping map_;
    bool writable_ = false;
    SegmentHeader header_{};
    std::vector<sys::UniqueFd> own_;
    std::map<std::int64_t, std::vector<sys::UniqueFd>> peers_;
};

}  // namespace memdomain::test
