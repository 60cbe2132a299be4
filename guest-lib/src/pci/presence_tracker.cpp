// Implementation of presence_tracker.h.
#include "pci/presence_tracker.h"

#include <atomic>

namespace memdomain::pci {
namespace {

std::uint64_t load(const std::uint64_t& word) {
    // The header is shared memory written by the server with atomic stores.
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word)).load(std::memory_order_acquire);
}

}  // namespace

PresenceTracker::PresenceTracker(const SegmentHeader* live, std::uint32_t max_peers, PeerId self)
    : live_(live), max_peers_(max_peers > kMaxPeers ? kMaxPeers : max_peers), self_(self) {
    bits_ = read(&seq_);
}

PresenceTracker::Bitmap PresenceTracker::read(std::uint64_t* seq) const {
    Bitmap b{};
    for (int attempt = 0; attempt < 16; ++attempt) {
        const std::uint64_t before = load(live_->presence_seq);
        for (std::uint32_t w = 0; w < b.size(); ++w) b[w] = w * 64 < max_peers_ ? load(live_->presence[w]) : 0;
        std::atomic_thread_fence(std::memory_order_acquire);
        *seq = load(live_->presence_seq);
        if (*seq == before) break;
    }
    // Only ids below max_peers exist; anything above is scribble.
    if (max_peers_ % 64 != 0) b[max_peers_ / 64] &= (std::uint64_t{1} << (max_peers_ % 64)) - 1;
    if (self_ < kMaxPeers) b[self_ / 64] &= ~(std::uint64_t{1} << (self_ % 64));
    return b;
}

void PresenceTracker::update(std::vector<PeerEvent>* out) {
    if (live_ == nullptr || load(live_->presence_seq) == seq_) return;
    std::uint64_t seq = 0;
    const Bitmap now = read(&seq);
    if (out != nullptr) {
        for (std::uint32_t w = 0; w < now.size(); ++w)
            for (std::uint64_t left = bits_[w] & ~now[w]; left != 0; left &= left - 1)
                out->push_back({PeerEvent::Kind::Left, w * 64 + static_cast<PeerId>(__builtin_ctzll(left))});
        for (std::uint32_t w = 0; w < now.size(); ++w)
            for (std::uint64_t joined = now[w] & ~bits_[w]; joined != 0; joined &= joined - 1)
                out->push_back({PeerEvent::Kind::Joined, w * 64 + static_cast<PeerId>(__builtin_ctzll(joined))});
    }
    bits_ = now;
    seq_ = seq;
}

std::vector<PeerId> PresenceTracker::peers() const {
    std::vector<PeerId> ids;
    for (std::uint32_t w = 0; w < bits_.size(); ++w)
        for (std::uint64_t b = bits_[w]; b != 0; b &= b - 1)
            ids.push_back(w * 64 + static_cast<PeerId>(__builtin_ctzll(b)));
    return ids;
}

}  // namespace memdomain::pci
