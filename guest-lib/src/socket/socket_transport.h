// The socket transport: a host process attached to a domain through
// "<socket dir>/<name>.sock" (segment 0) and "<socket dir>/<name>@<i>.sock"
// (segment i), speaking QEMU's ivshmem server protocol as a client on each,
// exactly like QEMU's ivshmem-doorbell does (see
// memdomain/common/ivshmem_protocol.h). Internal to libmemdomain.
//
// Segment 0's connection is the domain's: our peer id, the doorbells (our
// own eventfds and every other peer's) and the join/leave events all come
// from it. Segments 1.. are memory only: their connections run the same
// handshake (their headers must name the same domain, generation and
// segment count as segment 0's), then only stay open, because the server
// counts each as a peer of that segment and frees a dynamic domain when its
// last peer leaves; what the server sends on them later is read and
// dropped. Their eventfds are closed right after the handshake.
//
// Each segment is mapped at its header's map_address when it has one (the
// config's "vaddr"), else anywhere; R/O when the fd or the header says so.
// Later joins/leaves arrive on segment 0's socket and are applied by
// process_events(); a server hang-up is reported as ECONNRESET but leaves
// the mappings and the eventfds we hold usable, as in QEMU.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"
#include "transport.h"

namespace memdomain::detail {

// What the initial burst of the protocol delivers (socket_handshake.cpp).
struct SocketHandshake {
    sys::UniqueFd socket;
    PeerId self = 0;
    sys::Mapping mapping;
    SegmentHeader header{};  // validated copy
    Access access = Access::ReadOnly;
    std::vector<sys::UniqueFd> own_fds;                    // index = vector
    std::map<PeerId, std::vector<sys::UniqueFd>> peers;  // index = vector
};

// What a segment's header must say, besides being valid, for the handshake
// to accept it.
struct SegmentExpectation {
    std::string_view name;                  // the domain the caller asked for
    std::uint32_t index = 0;                // the segment this socket serves
    const SegmentHeader* first = nullptr;   // for segments 1..: segment 0's header
};

// Connects to `socket_path` and runs the protocol up to the end of the
// initial burst, mapping the segment (at its map_address if it has one).
// Errors: ENOENT (no socket file), EPROTO (protocol violation), EINVAL (bad
// header, wrong domain or segment index), EAGAIN (generation or segment
// count differ from `first`: another instance of the domain), EEXIST (the
// segment's map_address range is taken), EACCES (refused), ETIMEDOUT, or
// the system error.
Result<SocketHandshake> socket_handshake(const std::string& socket_path, const SegmentExpectation& expect,
                                         std::chrono::milliseconds timeout);

class SocketTransport final : public Transport {
public:
    // `first` is segment 0's handshake; `more` those of segments 1.. in order.
    SocketTransport(std::string name, SocketHandshake first, std::vector<SocketHandshake> more = {});

    TransportKind kind() const override { return TransportKind::Socket; }
    InterruptMode interrupt_mode() const override { return InterruptMode::Eventfd; }
    const std::string& name() const override { return name_; }
    const std::vector<SegmentView>& segments() const override { return segments_; }
    PeerId self() const override { return self_; }
    std::uint32_t vectors() const override { return header_.vectors; }
    std::uint64_t generation() const override { return header_.generation; }

    Status process_events(std::vector<PeerEvent>* out) override;
    std::vector<PeerId> peers() const override;
    Status notify(PeerId peer, std::uint32_t vector) override;
    Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout) override;
    int doorbell_fd(std::uint32_t vector) const override;
    int event_fd() const override { return socket_.get(); }

private:
    // Applies one message received after the initial burst.
    void apply(std::int64_t id, sys::UniqueFd fd);
    bool complete(const std::vector<sys::UniqueFd>& fds) const { return fds.size() == header_.vectors; }
    // Reads and drops what the servers of segments 1.. sent (joins and
    // leaves of their own peers), so their queues never fill up.
    void drain_memory_only_segments();

    // A segment other than 0: its mapping, and the connection that keeps us
    // counted as its peer (reset once the server hangs up on it).
    struct MemoryOnlySegment {
        sys::UniqueFd socket;
        sys::Mapping mapping;
    };

    std::string name_;
    sys::UniqueFd socket_;
    sys::Mapping mapping_;
    SegmentHeader header_{};
    PeerId self_ = 0;
    std::vector<MemoryOnlySegment> more_;  // segments 1.., in index order
    std::vector<SegmentView> segments_;
    std::vector<sys::UniqueFd> own_fds_;
    // Every peer we hold eventfds for; one with fewer than `vectors` is still
    // attaching and is not reported by peers() yet.
    std::map<PeerId, std::vector<sys::UniqueFd>> peers_;
    // Events seen but not yet handed out: peers() also processes messages,
    // and a join it applies must still reach the next events() call.
    std::vector<PeerEvent> pending_;
    bool hung_up_ = false;
};

}  // namespace memdomain::detail
