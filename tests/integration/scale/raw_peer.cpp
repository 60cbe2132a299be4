// The ivshmem server protocol, client side, keeping as few fds as possible.
#include "raw_peer.h"

#include <atomic>
#include <cerrno>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left(Clock::time_point deadline) {
    auto l = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return l.count() < 0 ? std::chrono::milliseconds(0) : l;
}

Error bad(const std::string& what) { return make_error("ivshmem protocol: " + what, EPROTO); }

std::uint64_t load(const std::uint64_t& word) {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word)).load(std::memory_order_acquire);
}

}  // namespace

Result<RawPeer> RawPeer::join(const std::string& socket_path, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    RawPeer p;
    MD_ASSIGN_OR_RETURN(p.sock_, sys::connect_unix(socket_path));
    MD_ASSIGN_OR_RETURN(sys::Message version, sys::receive_message(p.sock_.get(), left(deadline)));
    if (version.value != ivshmem::kProtocolVersion || version.fd.valid())
        return bad("first message is " + std::to_string(version.value) + ", expected version 0 without fd");
    MD_ASSIGN_OR_RETURN(sys::Message id, sys::receive_message(p.sock_.get(), left(deadline)));
    if (id.value == ivshmem::kRefusedId && !id.fd.valid()) {
        // A refusal is the pair and nothing else: the server closes at once.
        auto after = sys::receive_message(p.sock_.get(), left(deadline));
        if (after) return bad("message " + std::to_string(after->value) + " after the refusal pair");
        if (after.error().sys != ECONNRESET) return after.error();
        return make_error("refused (version 0, id -1)", ECONNREFUSED);
    }
    if (id.value < 0 || id.fd.valid()) return bad("bad own-id message " + std::to_string(id.value));
    p.id_ = id.value;
    MD_ASSIGN_OR_RETURN(sys::Message shm, sys::receive_message(p.sock_.get(), left(deadline)));
    if (shm.value != ivshmem::kSharedMemoryId || !shm.fd.valid())
        return bad("third message is " + std::to_string(shm.value) + ", expected -1 with the memory fd");
    MD_ASSIGN_OR_RETURN(std::uint64_t size, sys::fd_size(shm.fd.get()));
    // The mapping outlives the fd: one descriptor fewer per peer.
    MD_ASSIGN_OR_RETURN(p.map_, sys::map_shared(shm.fd.get(), size, sys::Protection::ReadOnly));
    MD_ASSIGN_OR_RETURN(const SegmentHeader h, validate_segment_header(p.map_.data(), size));
    p.vectors_ = h.vectors;
    while (p.own_.size() < p.vectors_) {
        MD_ASSIGN_OR_RETURN(sys::Message m, sys::receive_message(p.sock_.get(), left(deadline)));
        MD_TRY(p.apply(m.value, std::move(m.fd)));
    }
    return p;
}

Status RawPeer::apply(std::int64_t value, sys::UniqueFd fd) {
    if (value < 0) return bad("unexpected message " + std::to_string(value) + " after set-up");
    if (value == id_) {
        if (!fd.valid() || own_.size() >= vectors_) return bad("surplus or fd-less own-id message");
        own_.push_back(std::move(fd));
        return {};
    }
    if (!fd.valid()) {
        if (others_.erase(value) == 0) return bad("leave of unknown peer " + std::to_string(value));
        return {};
    }
    // The eventfd itself is not kept (closed when `fd` goes out of scope).
    if (others_.count(value) != 0) return bad("surplus eventfd for peer " + std::to_string(value));
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
