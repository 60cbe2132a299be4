#include "protocol/peer_ids.h"

namespace memdomain::server {

std::optional<std::uint32_t> PeerIds::allocate() {
    const std::uint32_t n = limit();
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t id = (next_ + i) % n;
        if (!used_[id]) {
            used_[id] = true;
            ++in_use_;
            next_ = (id + 1) % n;
            return id;
        }
    }
    return std::nullopt;
}

void PeerIds::release(std::uint32_t id) {
    if (id < limit() && used_[id]) {
        used_[id] = false;
        --in_use_;
    }
}

}  // namespace memdomain::server
