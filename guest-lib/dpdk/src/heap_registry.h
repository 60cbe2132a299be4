// DomainHeap: one attachment's arena given to DPDK as a named malloc heap.
// At most one per attachment (SharedDomain::heap); the heap adapter's C API
// and every net_memdomain port on the domain hold references to it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "iova.h"
#include "memdomain/arena.h"
#include "memdomain/common/result.h"
#include "shared_domain.h"

namespace memdomain::dpdk {

inline constexpr std::uint64_t kDefaultHeapBytes = 32ull << 20;

class DomainHeap {
public:
    // The heap of `shared`, made on first use: claims an arena of at least
    // `min_bytes` (0: kDefaultHeapBytes), creates heap `heap_name` ("" :
    // "md-<domain>") and adds the arena to it with its IOVAs. A later call
    // returns the same heap (EEXIST if it names another heap). Errors: see
    // md_dpdk_heap_attach in memdomain/dpdk/heap.h.
    static Result<std::shared_ptr<DomainHeap>> ensure(SharedDomain& shared, const std::string& heap_name,
                                                      std::uint64_t min_bytes);
    // Drops the reference ensure() took. The last one removes the memory
    // from DPDK, destroys the heap, releases the arena and forgets the heap
    // in `shared`. While objects are still allocated from it (EBUSY): with
    // keep_reference the reference stays and the error is returned;
    // without, the heap simply stays in DPDK (and its arena claimed) until
    // a later ensure() reuses it or the process ends.
    static Status release(SharedDomain& shared, bool keep_reference);
    ~DomainHeap();
    std::uint32_t references() const { return users_; }

    const std::string& name() const { return name_; }
    int socket_id() const { return socket_; }
    Arena& arena() { return *arena_; }
    // Cached at creation: contains() and offset_of() run per packet.
    std::byte* base() const { return base_; }
    std::uint64_t size() const { return size_; }
    std::uint64_t page_size() const { return page_; }
    md_dpdk_iova_source iova_source() const { return iova_; }
    rte_iova_t first_iova() const { return first_iova_; }
    // Whether [p, p + len) lies inside the arena (zero-copy eligibility).
    bool contains(const void* p, std::uint64_t len) const {
        const auto* b = static_cast<const std::byte*>(p);
        return b >= base() && len <= size() && static_cast<std::uint64_t>(b - base()) <= size() - len;
    }
    // data-area offset of a pointer inside the arena.
    std::uint64_t offset_of(const void* p) const {
        return offset_ + static_cast<std::uint64_t>(static_cast<const std::byte*>(p) - base());
    }

private:
    DomainHeap() = default;
    std::string name_;
    int socket_ = -1;
    std::byte* base_ = nullptr;
    std::uint64_t size_ = 0;
    std::uint64_t offset_ = 0;
    std::uint64_t page_ = 0;
    md_dpdk_iova_source iova_ = MD_DPDK_IOVA_NONE;
    rte_iova_t first_iova_ = RTE_BAD_IOVA;
    bool added_ = false;
    std::uint32_t users_ = 0;
    std::optional<Arena> arena_;
};

// The name DomainHeap::ensure uses when none is given.
Result<std::string> default_heap_name(const std::string& domain);

}  // namespace memdomain::dpdk
