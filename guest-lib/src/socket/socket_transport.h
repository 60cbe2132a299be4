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
// Keeping up with the server. The server queues every join and leave for
// every peer and drops a peer whose queue passes max_queued_messages, so
// every connection must be read whatever the application does. By default
// a background thread (reader_thread.h) polls all of them and applies what
// comes into the peer table (peer_table.h): an application that only waits
// for doorbells, or only polls memory and calls nothing, stays attached.
// With OpenOptions::reader_thread = false there is no thread; every call
// (wait and notify included) reads what is pending first, and wait() also
// watches the connections while it blocks, so only an application that
// makes no call at all must call refresh() now and then. Either way what is
// kept is bounded by max_peers (coalesced per peer), not by how many came.
//
// One mutex guards the peer table and the connections; the reader takes it
// only to apply messages, never while blocking. fork() is made safe by a
// ForkGuard (fork_guard.h): the child's copy keeps the memory, the
// eventfds and the peer set of the moment, never reads the connections
// (the parent still owns them) and closes its copies of them at once.
//
// Each segment is mapped at its header's map_address when it has one (the
// config's "vaddr"), else anywhere; R/O when the fd or the header says so.
// A server hang-up is reported as ECONNRESET but leaves the mappings and the
// eventfds we hold usable, as in QEMU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"
#include "socket/fork_guard.h"
#include "socket/peer_table.h"
#include "socket/reader_thread.h"
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
    // `first` is segment 0's handshake; `more` those of segments 1.. in
    // order. Call start_reader() next unless the caller opted out.
    SocketTransport(std::string name, SocketHandshake first, std::vector<SocketHandshake> more = {});
    ~SocketTransport() override;

    // Starts the background reader. Errors: the system error of creating
    // the thread or its eventfds.
    Status start_reader();

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
    int event_fd() const override;
    int reader_tid() const override;

private:
    // A segment other than 0: its mapping, and the connection that keeps us
    // counted as its peer (`closed` once the server hung up on it or broke
    // the protocol; the fd itself stays open until we go, so that no other
    // thread can be polling a reused descriptor number).
    struct MemoryOnlySegment {
        sys::UniqueFd socket;
        sys::Mapping mapping;
        bool closed = false;
    };

    // Reads everything pending on every connection, without blocking, and
    // applies it. Caller holds mu_. True when it took anything (a message,
    // or the end of a connection).
    bool drain_locked();
    // drain_locked for segment 0: join/leave messages into the table.
    bool drain_domain_connection_locked();
    // What the server sent on segments 1.. is for their own peers: dropped.
    bool drain_memory_only_locked();
    // Signals events_ready_ when something is pending for events(). Caller holds mu_.
    void signal_if_pending_locked();
    // The connections still worth watching. Caller holds mu_.
    std::vector<int> live_connections_locked() const;
    // The background reader's body.
    void read_until_woken(int wake_fd);
    // Without a reader: waits for `fd` while reading the connections.
    Result<bool> wait_reading(int fd, std::chrono::milliseconds timeout);
    // Status of segment 0's connection. Caller holds mu_.
    Status connection_status_locked() const;
    // Looks up the peer's eventfd, giving a peer in the middle of attaching
    // a short grace for its missing ones. Caller holds `lock` on mu_.
    int ring_target(std::unique_lock<std::mutex>& lock, PeerId peer, std::uint32_t vector);

    const std::string name_;
    sys::Mapping mapping_;
    const SegmentHeader header_;
    const PeerId self_;
    std::vector<SegmentView> segments_;
    const std::vector<sys::UniqueFd> own_fds_;

    mutable std::mutex mu_;
    std::condition_variable table_changed_;
    // Guarded by mu_:
    sys::UniqueFd socket_;
    std::vector<MemoryOnlySegment> more_;
    mutable PeerTable table_;
    std::optional<Error> connection_error_;  // set once segment 0's connection is over
    bool forked_ = false;                    // this is the child's copy after fork()
    // With a reader: readable while events() has something to say (and for
    // good once the server has hung up). Written by the reader, drained by
    // the application's calls.
    sys::UniqueFd events_ready_;
    bool events_signalled_ = false;

    std::unique_ptr<ReaderThread> reader_;
    // Last: destroyed first, before the mutex it locks around fork().
    std::unique_ptr<ForkGuard> fork_guard_;
};

}  // namespace memdomain::detail
