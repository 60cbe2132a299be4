// Peer id allocation for one domain socket. Ids are 0..limit-1 and unique
// among connected peers. A freed id is not handed out again at once: ids
// are given round-robin starting after the last one given, so a peer that
// reconnects (or a stale doorbell aimed at an old id) does not meet a
// newcomer under the same id until every other free id was used since.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace memdomain::server {

class PeerIds {
public:
    explicit PeerIds(std::uint32_t limit) : used_(limit, false) {}

    // nullopt when every id is taken.
    std::optional<std::uint32_t> allocate();
    void release(std::uint32_t id);
    std::uint32_t in_use() const { return in_use_; }
    std::uint32_t limit() const { return static_cast<std::uint32_t>(used_.size()); }

private:
    std::vector<bool> used_;
    std::uint32_t next_ = 0;
    std::uint32_t in_use_ = 0;
};

}  // namespace memdomain::server
