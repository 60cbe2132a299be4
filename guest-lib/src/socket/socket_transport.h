// The socket transport: a host process attached to a domain through
// "<socket dir>/<name>.sock", speaking QEMU's ivshmem server protocol as a
// client exactly like QEMU's ivshmem-doorbell does (see
// memdomain/common/ivshmem_protocol.h). Internal to libmemdomain.
//
// State after open: the segment mapped (R/O when the fd or the header says
// so), our own eventfds (one per vector) and every other peer's eventfds.
// Later joins/leaves arrive on the socket and are applied by
// process_events(); a server hang-up is reported as ECONNRESET but leaves
// the mapping and the eventfds we hold usable, as in QEMU.
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

// Connects to `socket_path` and runs the protocol up to the end of the
// initial burst. `name` is the domain the caller asked for (checked against
// the header). Errors: ENOENT (no socket file), EPROTO (protocol violation),
// EINVAL (bad header or wrong domain), ETIMEDOUT, or the system error.
Result<SocketHandshake> socket_handshake(const std::string& socket_path, std::string_view name,
                                         std::chrono::milliseconds timeout);

class SocketTransport final : public Transport {
public:
    SocketTransport(std::string name, SocketHandshake h);

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

    std::string name_;
    sys::UniqueFd socket_;
    sys::Mapping mapping_;
    SegmentHeader header_{};
    PeerId self_ = 0;
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
