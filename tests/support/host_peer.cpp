// The ivshmem server protocol, client side, one message at a time.
#include "host_peer.h"

#include <cerrno>

#include "ivshmem_greeting.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {

Result<HostPeer> HostPeer::connect(const std::string& socket_path, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    HostPeer p;
    MD_ASSIGN_OR_RETURN(p.sock_, sys::connect_unix(socket_path));

    MD_ASSIGN_OR_RETURN(IvshmemGreeting g, read_ivshmem_greeting(p.sock_.get(), deadline));
    p.id_ = g.id;
    p.memfd_ = std::move(g.memory);
    MD_ASSIGN_OR_RETURN(std::uint64_t size, sys::fd_size(p.memfd_.get()));
    // A read-only grant comes as an O_RDONLY fd, which the kernel refuses to
    // map writable (EACCES): then the peer maps it read-only, as a
    // libmemdomain client would, and the test can see which it got.
    auto rw = sys::map_shared(p.memfd_.get(), size, sys::Protection::ReadWrite);
    if (rw) {
        p.map_ = std::move(rw).value();
        p.writable_ = true;
    } else if (rw.error().sys == EACCES) {
        MD_ASSIGN_OR_RETURN(p.map_, sys::map_shared(p.memfd_.get(), size, sys::Protection::ReadOnly));
    } else {
        return rw.error();
    }
    MD_ASSIGN_OR_RETURN(p.header_, validate_segment_header(p.map_.data(), size));

    // Other peers' eventfds, then ours: the burst ends with our id `vectors` times.
    while (p.own_.size() < p.header_.vectors) {
        MD_ASSIGN_OR_RETURN(sys::Message m, sys::receive_message(p.sock_.get(), time_left(deadline)));
        MD_TRY(p.apply(m.value, std::move(m.fd)));
    }
    return p;
}

Result<std::optional<PeerEvent>> HostPeer::apply(std::int64_t value, sys::UniqueFd fd) {
    using Event = std::optional<PeerEvent>;
    if (value < 0) return ivshmem_protocol_error("unexpected message " + std::to_string(value) + " after set-up");
    if (value == id_) {
        if (!fd.valid()) return ivshmem_protocol_error("server announced our own id as gone");
        if (own_.size() >= header_.vectors) return ivshmem_protocol_error("more own eventfds than the domain's vectors");
        own_.push_back(std::move(fd));
        return Event{};
    }
    if (!fd.valid()) {
        auto it = peers_.find(value);
        if (it == peers_.end()) return ivshmem_protocol_error("leave of unknown peer " + std::to_string(value));
        peers_.erase(it);
        return Event(PeerEvent{PeerEvent::Kind::Left, value});
    }
    auto& fds = peers_[value];
    fds.push_back(std::move(fd));
    // Surplus eventfds are kept (and counted) so that a test can see them.
    if (fds.size() == header_.vectors) return Event(PeerEvent{PeerEvent::Kind::Joined, value});
    return Event{};
}

Result<std::optional<PeerEvent>> HostPeer::next_event(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(bool ready, sys::wait_readable(sock_.get(), time_left(deadline)));
        if (!ready) return std::optional<PeerEvent>{};
        MD_ASSIGN_OR_RETURN(sys::Message m, sys::receive_message(sock_.get(), time_left(deadline)));
        MD_ASSIGN_OR_RETURN(std::optional<PeerEvent> e, apply(m.value, std::move(m.fd)));
        if (e) return e;
    }
}

Result<std::int64_t> HostPeer::wait_join(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::optional<PeerEvent> e, next_event(time_left(deadline)));
        if (!e) return make_error("no peer joined within " + std::to_string(timeout.count()) + " ms", ETIMEDOUT);
        if (e->kind == PeerEvent::Kind::Joined) return e->peer;
    }
}

Status HostPeer::wait_leave(std::int64_t peer, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::optional<PeerEvent> e, next_event(time_left(deadline)));
        if (!e)
            return make_error("peer " + std::to_string(peer) + " did not leave within " +
                                  std::to_string(timeout.count()) + " ms",
                              ETIMEDOUT);
        if (e->kind == PeerEvent::Kind::Left && e->peer == peer) return {};
    }
}

Status HostPeer::drain(std::chrono::milliseconds duration) {
    const auto deadline = SteadyClock::now() + duration;
    while (SteadyClock::now() < deadline) MD_TRY(next_event(time_left(deadline)));
    return {};
}

std::size_t HostPeer::eventfd_count(std::int64_t peer) const {
    auto it = peers_.find(peer);
    return it == peers_.end() ? 0 : it->second.size();
}

std::vector<std::int64_t> HostPeer::peer_ids() const {
    std::vector<std::int64_t> ids;
    for (const auto& [id, fds] : peers_) ids.push_back(id);
    return ids;
}

Status HostPeer::ring(std::int64_t peer, std::uint32_t vector) {
    auto it = peers_.find(peer);
    if (it == peers_.end() || vector >= it->second.size())
        return make_error("no eventfd for peer " + std::to_string(peer) + " vector " + std::to_string(vector), ENOENT);
    return sys::eventfd_ring(it->second[vector].get());
}

Result<bool> HostPeer::wait_doorbell(std::uint32_t vector, std::chrono::milliseconds timeout) {
    if (vector >= own_.size()) return make_error("no own vector " + std::to_string(vector), EINVAL);
    MD_ASSIGN_OR_RETURN(bool ready, sys::wait_readable(own_[vector].get(), timeout));
    if (!ready) return false;
    MD_ASSIGN_OR_RETURN(std::uint64_t n, sys::eventfd_drain(own_[vector].get()));
    return n > 0;
}

}  // namespace memdomain::test
