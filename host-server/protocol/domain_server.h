// The peers of one segment of one domain instance, served with QEMU's ivshmem
// server protocol (memdomain/common/ivshmem_protocol.h has the
// message-by-message prose). Connections arrive already accepted and already
// granted (served_domain.h decides who gets in and which instance they see).
//
// Per admitted connection: give it an id, eventfds for each vector, the
// memory fd (read-only fd for a read-only grant), every peer's eventfds;
// tell every other peer about it.
// A peer that sends anything, hangs up, or stops reading (its queue passes
// max_queued_messages) is removed completely: socket and eventfds closed,
// presence bit cleared, a leave message queued to every other peer.
//
// Non-blocking throughout: messages go through a per-peer queue flushed when
// the socket is writable, so one stuck client never blocks another.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/event_loop.h"
#include "memory/segment.h"
#include "memdomain/common/result.h"
#include "memdomain/sys/socket.h"
#include "protocol/peer_ids.h"

namespace memdomain::server {

struct ServerLimits {
    // Per peer; past it the peer is dropped as stuck. Never below the size of
    // a newcomer's initial burst (3 + max_peers * vectors).
    std::size_t max_queued_messages = 16384;
    int listen_backlog = 64;
    std::size_t accepts_per_wakeup = 32;  // fairness against a connect flood
};

// A peer as the control plane and the tests see it.
struct PeerInfo {
    std::uint32_t id;
    sys::PeerCredentials cred;
    std::vector<gid_t> groups;  // supplementary, as the kernel gave them at connect
    SegmentAccess access;
    std::size_t queued;
};

class DomainServer {
public:
    // `namespace_path`: where the read-only namespace entry goes (empty: none).
    // `on_change` runs (deferred, outside this object's stack) after a peer
    // joined or left.
    DomainServer(Segment& segment, std::string namespace_path, EventLoop& loop, ServerLimits limits = {},
                 std::function<void()> on_change = {});
    ~DomainServer();
    DomainServer(const DomainServer&) = delete;
    DomainServer& operator=(const DomainServer&) = delete;

    // Publishes the read-only namespace entry (when there is one): a symlink
    // to this process's O_RDONLY descriptor of the segment
    // (/proc/<pid>/fd/<n>), which QEMU opens with
    // memory-backend-file,readonly=on for ivshmem-plain. Following it takes
    // root or the server's own user (the kernel's ptrace rule).
    Status start();
    const std::string& namespace_path() const { return ns_path_; }
    std::vector<PeerInfo> peers() const;
    std::size_t peer_count() const { return peers_.size(); }
    const Segment& segment() const { return segment_; }

    // Takes an accepted, already granted connection: an id, the burst, the
    // fan-out. Refuses it (version, -1) when every id is in use.
    void admit(sys::UniqueFd sock, const sys::PeerCredentials& cred, std::vector<gid_t> groups,
               SegmentAccess access);
    // Tells a refused client so (version, then kRefusedId) and closes it.
    static void refuse(sys::UniqueFd sock);
    // Disconnects every peer `which` selects (revoked grants, a forced
    // destroy), with `why` in the log; returns how many.
    std::size_t disconnect_if(const std::function<bool(const PeerInfo&)>& which, const std::string& why);

private:
    struct OutMessage {
        std::int64_t value;
        std::shared_ptr<const sys::UniqueFd> fd;  // kept open until sent
    };
    struct Peer {
        std::uint32_t id = 0;
        sys::PeerCredentials cred;
        std::vector<gid_t> groups;
        SegmentAccess access = SegmentAccess::ReadOnly;
        sys::UniqueFd sock;
        EventLoop::Token token = 0;
        std::vector<std::shared_ptr<const sys::UniqueFd>> eventfds;
        std::deque<OutMessage> out;
        std::size_t sent_of_front = 0;
        bool watching_write = false;
        bool doomed = false;
    };

    void on_peer_ready(std::uint32_t id, std::uint32_t events);
    void queue(Peer& p, std::int64_t value, std::shared_ptr<const sys::UniqueFd> fd = nullptr);
    void flush(Peer& p);
    void doom(Peer& p, const std::string& why);
    void reap();
    void changed();
    void remove(std::uint32_t id);
    Result<std::shared_ptr<const sys::UniqueFd>> memory_fd_for(SegmentAccess a);

    Segment& segment_;
    std::string ns_path_;
    EventLoop& loop_;
    ServerLimits limits_;
    std::function<void()> on_change_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards deferred on_change calls
    PeerIds ids_;
    std::map<std::uint32_t, std::unique_ptr<Peer>> peers_;
    std::vector<std::uint32_t> doomed_;
    std::shared_ptr<const sys::UniqueFd> read_only_fd_;  // made at start for the ns entry (else on first R/O grant)
};

}  // namespace memdomain::server
