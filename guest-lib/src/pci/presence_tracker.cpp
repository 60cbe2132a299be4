// Implementation of presence_tracker.h.
#include "pci/presence_tracker.h"

#include <atomic>

namespace memdomain::pci {
namespace {

std::uint64_t load(const std::uint64_t& word) {
    // The header is shared memory written by the server with atomic stores.
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word)).load(std::memory_order_acquire);
}

bool test(const std::array<std::uint64_t, kMaxPeers / 64>& b, PeerId id) {
    return (b[id / 64] >> (id % 64)) & 1;
}

}  // namespace

PresenceTracker::PresenceTracker(const SegmentHeader* live, const SegmentHeader& validated, PeerId self,
                                 detail::PeerChanges& changes)
    : live_(live),
      max_peers_(validated.max_peers > kMaxPeers ? kMaxPeers : validated.max_peers),
      epochs_kept_((validated.flags & kHeaderPeerEpochs) != 0),
      self_(self) {
    read(bits_, epochs_, &seq_);
    for (PeerId id = 0; id < max_peers_; ++id)
        if (test(bits_, id)) changes.joined(id);
    (void)changes.take();  // what open() saw is the baseline, not news
}

void PresenceTracker::read(Bitmap& b, Epochs& e, std::uint64_t* seq) const {
    for (int attempt = 0; attempt < 16; ++attempt) {
        const std::uint64_t before = load(live_->presence_seq);
        for (std::uint32_t w = 0; w < b.size(); ++w) b[w] = w * 64 < max_peers_ ? load(live_->presence[w]) : 0;
        if (epochs_kept_)
            for (PeerId id = 0; id < max_peers_; ++id) e[id] = test(b, id) ? header_peer_epoch(live_, id) : 0;
        std::atomic_thread_fence(std::memory_order_acquire);
        *seq = load(live_->presence_seq);
        if (*seq == before) break;
    }
    // Only ids below max_peers exist; anything above is scribble.
    if (max_peers_ % 64 != 0) b[max_peers_ / 64] &= (std::uint64_t{1} << (max_peers_ % 64)) - 1;
    if (self_ < kMaxPeers) b[self_ / 64] &= ~(std::uint64_t{1} << (self_ % 64));
}

void PresenceTracker::update(detail::PeerChanges& changes) {
    if (live_ == nullptr || load(live_->presence_seq) == seq_) return;
    Bitmap now{};
    Epochs epochs{};
    std::uint64_t seq = 0;
    read(now, epochs, &seq);
    for (PeerId id = 0; id < max_peers_; ++id) {
        const bool was = test(bits_, id), is = test(now, id);
        if (was && !is) changes.left(id);
        if (!was && is) changes.joined(id);
        // Same id present before and after, but a new attachment in between.
        if (was && is && epochs_kept_ && epochs[id] != epochs_[id]) changes.cycled(id);
    }
    bits_ = now;
    epochs_ = epochs;
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
