// Implementation of peer_table.h.
#include "socket/peer_table.h"

namespace memdomain::detail {

PeerTable::PeerTable(std::uint32_t vectors, std::uint32_t max_peers, PeerId self,
                     std::map<PeerId, std::vector<sys::UniqueFd>> initial)
    : vectors_(vectors), max_peers_(max_peers), self_(self), peers_(std::move(initial)) {
    for (const auto& [id, fds] : peers_)
        if (complete(fds)) changes_.joined(id);
    (void)changes_.take();  // what open() saw is the baseline, not news
}

void PeerTable::apply(std::int64_t id, sys::UniqueFd fd) {
    // Ids outside the header's range, our own id and the shared-memory id
    // cannot be valid after the burst; QEMU ignores such messages too.
    if (id < 0 || id >= static_cast<std::int64_t>(max_peers_) || id == static_cast<std::int64_t>(self_)) return;
    const auto peer = static_cast<PeerId>(id);
    if (!fd) {
        auto it = peers_.find(peer);
        if (it == peers_.end()) return;
        const bool was_visible = complete(it->second);
        peers_.erase(it);  // closes its eventfds now
        if (was_visible) changes_.left(peer);
        return;
    }
    auto& fds = peers_[peer];
    if (fds.size() >= vectors_) return;  // more eventfds than vectors: the extra one is closed
    fds.push_back(std::move(fd));
    // A peer becomes visible (peers(), Joined) once it can be rung on every
    // vector: its eventfds arrive one message each, not all at once.
    if (complete(fds)) changes_.joined(peer);
}

std::vector<PeerId> PeerTable::peers() const {
    std::vector<PeerId> ids;
    ids.reserve(peers_.size());
    for (const auto& [id, fds] : peers_)
        if (complete(fds)) ids.push_back(id);
    return ids;  // std::map: already ascending
}

int PeerTable::eventfd(PeerId peer, std::uint32_t vector) const {
    auto it = peers_.find(peer);
    if (it == peers_.end() || it->second.size() <= vector) return -1;
    return it->second[vector].get();
}

bool PeerTable::attaching(PeerId peer, std::uint32_t vector) const {
    auto it = peers_.find(peer);
    return it != peers_.end() && it->second.size() <= vector;
}

}  // namespace memdomain::detail
