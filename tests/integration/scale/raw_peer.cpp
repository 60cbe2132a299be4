// The ivshmem server protocol, client side, keeping as few fds as possible.
#include "raw_peer.h"

#include <atomic>
#include <cerrno>

#include "ivshmem_greeting.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {
namespace {

std::uint64_t load(const std::uint64_t& word) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word)).load(std::memory_order_acquire);
}

}  // namespace

Result<RawPeer> RawPeer::join(const std::string& socket_path, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    RawPeer p;
    MD_ASSIGN_OR_RETURN(p.sock_, sys::connect_unix(socket_path));
    MD_ASSIGN_OR_RETURN(IvshmemGreeting g, read_ivshmem_greeting(p.sock_.get(), deadline));
    p.id_ = g.id;
    sys::UniqueFd memory = std::move(g.memory);
    MD_ASSIGN_OR_RETURN(std::uint64_t size, sys::fd_size(memory.get()));
    // The mapping outlives the fd: one descriptor fewer per peer.
    MD_ASSIGN_OR_RETURN(p.map_, sys::map_shared(memory.get(), size, sys::Protection::ReadOnly));
    MD_ASSIGN_OR_RETURN(const SegmentHeader h, validate_segment_header(p.map_.data(), size));
    p.vectors_ = h.vectors;
    while (p.own_.size() < p.vectors_) {
        MD_ASSIGN_OR_RETURN(sys::Message m, sys::receive_message(p.sock_.get(), time_left(deadline)));
        MD_TRY(p.apply(m.value, std::move(m.fd)));
    }
    return p;
}

Status RawPeer::apply(std::int64_t value, sys::UniqueFd fd) {
    if (value < 0) return ivshmem_protocol_error("unexpected message " + std::to_string(value) + " after set-up");
    if (value == id_) {
        if (!fd.valid() || own_.size() >= vectors_) return ivshmem_protocol_error("surplus or fd-less own-id message");
        own_.push_back(std::move(fd));
        return {};
    }
    if (!fd.valid()) {
        if (others_.erase(value) == 0) return ivshmem_protocol_error("leave of unknown peer " + std::to_string(value));
        return {};
    }
    // The eventfd itself is not kept (closed when `fd` goes out of scope).
    if (others_.count(value) != 0) return ivshmem_protocol_error("surplus eventfd for peer " + std::to_string(value));
    if (++partial_[value] == vectors_) {
        partial_.erase(value);
        others_.insert(value);
    }
    return {};
}

Status RawPeer::pump() {
    for (;;) {
        MD_ASSIGN_OR_RETURN(auto m, sys::try_receive_message(sock_.get()));
        if (!m) return {};
        MD_TRY(apply(m->value, std::move(m->fd)));
    }
}

std::uint64_t RawPeer::header_peer_count() const { return load(live_header().peer_count); }

std::set<std::uint32_t> RawPeer::header_present_ids() const {
    const SegmentHeader& h = live_header();
    for (;;) {
        const std::uint64_t seq = load(h.presence_seq);
        std::set<std::uint32_t> ids;
        for (std::uint32_t w = 0; w < kMaxPeers / 64; ++w) {
            const std::uint64_t bits = load(h.presence[w]);
            for (std::uint32_t b = 0; b < 64; ++b)
                if (bits & (std::uint64_t{1} << b)) ids.insert(w * 64 + b);
        }
        if (load(h.presence_seq) == seq) return ids;
    }
}

}  // namespace memdomain::test
