// SocketTransport after the handshake: peer joins and leaves, doorbells out
// (mailbox word + eventfd write) and in (poll + drain of our own eventfd),
// and the upkeep of the memory-only connections of segments 1...
#include "socket_transport.h"

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"
#include "segment_mapping.h"

namespace memdomain::detail {
namespace {

// How long notify() waits for the missing eventfds of a peer that is in the
// middle of attaching.
constexpr std::chrono::milliseconds kAttachGrace{200};

}  // namespace

SocketTransport::SocketTransport(std::string name, SocketHandshake first, std::vector<SocketHandshake> more)
    : name_(std::move(name)),
      socket_(std::move(first.socket)),
      mapping_(std::move(first.mapping)),
      header_(first.header),
      self_(first.self),
      own_fds_(std::move(first.own_fds)),
      peers_(std::move(first.peers)) {
    segments_.push_back(segment_view(header_, mapping_.bytes(), first.access));
    for (SocketHandshake& h : more) {
        segments_.push_back(segment_view(h.header, h.mapping.bytes(), h.access));
        more_.push_back({std::move(h.socket), std::move(h.mapping)});
    }
}

void SocketTransport::drain_memory_only_segments() {
    for (MemoryOnlySegment& s : more_) {
        while (s.socket) {
            auto m = sys::try_receive_message(s.socket.get());
            if (!m) {
                // The server hung up on this segment (it does so on every
                // segment at once: segment 0 reports it) or broke the
                // protocol: the mapping stays, the connection goes.
                s.socket.reset();
                break;
            }
            if (!m->has_value()) break;
            // A join's eventfd or a leave: nothing for a memory-only segment.
        }
    }
}

void SocketTransport::apply(std::int64_t id, sys::UniqueFd fd) {
    // Ids outside the header's range, our own id and the shared-memory id
    // cannot be valid after the burst; QEMU ignores such messages too.
    if (id < 0 || id >= static_cast<std::int64_t>(header_.max_peers) || id == static_cast<std::int64_t>(self_))
        return;
    const auto peer = static_cast<PeerId>(id);
    if (!fd) {
        auto it = peers_.find(peer);
        if (it == peers_.end()) return;
        const bool was_visible = complete(it->second);
        peers_.erase(it);
        if (was_visible) pending_.push_back({PeerEvent::Kind::Left, peer});
        return;
    }
    auto& fds = peers_[peer];
    if (fds.size() >= header_.vectors) return;  // more eventfds than vectors: the extra one is closed
    fds.push_back(std::move(fd));
    // A peer becomes visible (peers(), Joined) once it can be rung on every
    // vector: its eventfds arrive one message each, not all at once.
    if (complete(fds)) pending_.push_back({PeerEvent::Kind::Joined, peer});
}

Status SocketTransport::process_events(std::vector<PeerEvent>* out) {
    drain_memory_only_segments();
    Status status;
    while (!hung_up_) {
        auto m = sys::try_receive_message(socket_.get());
        if (!m) {
            if (m.error().sys == ECONNRESET) hung_up_ = true;
            status = make_error(name_ + ": server connection: " + m.error().message, m.error().sys);
            break;
        }
        if (!m->has_value()) break;
        apply((*m)->value, std::move((*m)->fd));
    }
    if (hung_up_ && status)
        status = make_error(name_ + ": the server closed the connection (the mapping stays valid)", ECONNRESET);
    if (out != nullptr) {
        out->insert(out->end(), pending_.begin(), pending_.end());
        pending_.clear();
    }
    return status;
}

std::vector<PeerId> SocketTransport::peers() const {
    std::vector<PeerId> ids;
    ids.reserve(peers_.size());
    for (const auto& [id, fds] : peers_)
        if (complete(fds)) ids.push_back(id);
    return ids;  // std::map: already ascending
}

Status SocketTransport::notify(PeerId peer, std::uint32_t vector) {
    if (vector >= header_.vectors)
        return make_error(name_ + ": vector " + std::to_string(vector) + " out of range (the domain has " +
                              std::to_string(header_.vectors) + ")",
                          EINVAL);
    auto it = peers_.find(peer);
    if (it == peers_.end() || it->second.size() <= vector) {
        (void)process_events(nullptr);  // the join may be waiting on the socket
        it = peers_.find(peer);
        // A peer whose first eventfds have come is attaching: the rest are
        // on their way, so wait for them a little rather than fail.
        const auto deadline = std::chrono::steady_clock::now() + kAttachGrace;
        while (it != peers_.end() && it->second.size() <= vector && !hung_up_ &&
               std::chrono::steady_clock::now() < deadline) {
            (void)sys::wait_readable(socket_.get(), std::chrono::milliseconds(10));
            (void)process_events(nullptr);
            it = peers_.find(peer);
        }
        if (it == peers_.end() || it->second.size() <= vector)
            return make_error(name_ + ": peer " + std::to_string(peer) + " is not attached", ENOENT);
    }
    if (segments_.front().access == Access::ReadWrite) {
        // Polling guests (no vfio) watch this word instead of an interrupt;
        // bump it before the ring so a woken waiter sees it.
        if (std::uint64_t* w = mailbox_word(mapping_.data(), header_, peer, vector))
            std::atomic_ref<std::uint64_t>(*w).fetch_add(1, std::memory_order_release);
    }
    if (auto st = sys::eventfd_ring(it->second[vector].get()); !st)
        return make_error(name_ + ": ring peer " + std::to_string(peer) + ": " + st.error().message, st.error().sys);
    return {};
}

Result<std::uint64_t> SocketTransport::wait(std::uint32_t vector, std::chrono::milliseconds timeout) {
    if (vector >= own_fds_.size())
        return make_error(name_ + ": vector " + std::to_string(vector) + " out of range (the domain has " +
                              std::to_string(header_.vectors) + ")",
                          EINVAL);
    const int fd = own_fds_[vector].get();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::uint64_t n, sys::eventfd_drain(fd));
        if (n > 0) return n;
        auto left = timeout;
        if (timeout.count() >= 0) {
            left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::uint64_t{0};
        }
        MD_ASSIGN_OR_RETURN(bool ready, sys::wait_readable(fd, left));
        if (!ready) return std::uint64_t{0};
    }
}

int SocketTransport::doorbell_fd(std::uint32_t vector) const {
    return vector < own_fds_.size() ? own_fds_[vector].get() : -1;
}

}  // namespace memdomain::detail
