// Making and removing a domain heap (see heap_registry.h). DPDK zeroes what
// rte_malloc_heap_memory_add is given, so it is given exactly this peer's
// arena and nothing else of the domain.
#include "heap_registry.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <cinttypes>

#include "log.h"
#include "memdomain/dpdk/heap.h"

namespace memdomain::dpdk {
namespace {

Error rte_error(const std::string& what) {
    const int e = rte_errno != 0 ? rte_errno : EIO;
    return make_error(what + ": " + rte_strerror(e), e);
}

}  // namespace

Result<std::string> default_heap_name(const std::string& domain) {
    std::string n = "md-" + domain;
    if (n.size() > MD_DPDK_HEAP_NAME_MAX)
        return make_error("heap name '" + n + "' is longer than " + std::to_string(MD_DPDK_HEAP_NAME_MAX) +
                              " characters: give one in the options",
                          ENAMETOOLONG);
    return n;
}

Result<std::shared_ptr<DomainHeap>> DomainHeap::ensure(SharedDomain& shared, const std::string& heap_name,
                                                      std::uint64_t min_bytes) {
    if (shared.heap) {
        if (!heap_name.empty() && heap_name != shared.heap->name())
            return make_error("domain '" + shared.key().name + "' already has heap '" + shared.heap->name() +
                                  "' in this process (asked for '" + heap_name + "')",
                              EEXIST);
        ++shared.heap->users_;
        return shared.heap;
    }
    if (rte_lcore_count() == 0) return make_error("the EAL is not initialised: call rte_eal_init() first", EINVAL);
    std::string name = heap_name;
    if (name.empty()) {
        MD_ASSIGN_OR_RETURN(name, default_heap_name(shared.key().name));
    } else if (name.size() > MD_DPDK_HEAP_NAME_MAX) {
        return make_error("heap name '" + name + "' is too long", ENAMETOOLONG);
    }
    if (rte_malloc_heap_get_socket(name.c_str()) >= 0)
        return make_error("a DPDK heap named '" + name + "' exists already", EEXIST);

    std::shared_ptr<DomainHeap> h(new DomainHeap);
    h->name_ = name;
    MD_ASSIGN_OR_RETURN(Arena arena, Arena::claim(shared.area(), min_bytes != 0 ? min_bytes : kDefaultHeapBytes));
    h->arena_.emplace(std::move(arena));
    h->base_ = h->arena_->data();
    h->size_ = h->arena_->size();
    h->offset_ = h->arena_->offset();
    // DPDK wants va and length aligned to the page size it is told; inside a
    // VM the BAR may be mapped with less than the segment's page alignment.
    h->page_ = h->arena_->va_alignment();
    if (h->page_ == 0 || h->size() % h->page_ != 0)
        return make_error("arena of " + std::to_string(h->size()) + " bytes is not a multiple of its alignment", EINVAL);
    MD_ASSIGN_OR_RETURN(IovaTable iovas, arena_iovas(shared, h->base(), h->size(), h->page_));
    h->iova_ = iovas.source;
    if (!iovas.iovas.empty()) h->first_iova_ = iovas.iovas.front();

    if (rte_malloc_heap_create(name.c_str()) != 0) return rte_error("rte_malloc_heap_create(" + name + ")");
    const auto pages = static_cast<unsigned>(h->size() / h->page_);
    if (rte_malloc_heap_memory_add(name.c_str(), h->base(), h->size(), iovas.iovas.empty() ? nullptr : iovas.iovas.data(),
                                   pages, h->page_) != 0) {
        Error e = rte_error("rte_malloc_heap_memory_add(" + name + ")");
        (void)rte_malloc_heap_destroy(name.c_str());
        return e;
    }
    h->added_ = true;
    h->socket_ = rte_malloc_heap_get_socket(name.c_str());
    h->users_ = 1;
    MD_HEAP_LOG(INFO, "heap '%s' (socket %d) on domain '%s': %" PRIu64 " bytes at data offset %" PRIu64
                      ", %" PRIu64 "-byte pages, IOVA %s",
                name.c_str(), h->socket_, shared.key().name.c_str(), h->size(), h->arena_->offset(), h->page_,
                h->iova_ == MD_DPDK_IOVA_NONE ? "none (VA mode)"
                                               : (h->iova_ == MD_DPDK_IOVA_PAGEMAP ? "from pagemap" : "from the BAR"));
    shared.heap = h;
    return h;
}

Status DomainHeap::release(SharedDomain& shared, bool keep_reference) {
    DomainHeap* h = shared.heap.get();
    if (h == nullptr || h->users_ == 0) return make_error("no heap on domain '" + shared.key().name + "'", ENOENT);
    if (--h->users_ > 0) return {};
    if (rte_malloc_heap_memory_remove(h->name_.c_str(), h->base(), h->size()) != 0) {
        Error e = rte_error("heap '" + h->name_ + "' still has objects allocated (rte_malloc_heap_memory_remove)");
        if (keep_reference) h->users_ = 1;
        return e;
    }
    h->added_ = false;
    if (rte_malloc_heap_destroy(h->name_.c_str()) != 0)
        MD_HEAP_LOG(WARNING, "rte_malloc_heap_destroy(%s): %s", h->name_.c_str(), rte_strerror(rte_errno));
    shared.heap.reset();  // releases the arena
    return {};
}

DomainHeap::~DomainHeap() {
    // Memory still in DPDK keeps its arena claimed (DPDK may hand out those
    // bytes until the process ends): the claim is deliberately leaked.
    if (added_ && arena_) new Arena(std::move(*arena_));
}

}  // namespace memdomain::dpdk
