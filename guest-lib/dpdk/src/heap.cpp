// The heap adapter's C API (memdomain/dpdk/heap.h) over SharedDomain and
// DomainHeap. References taken through this API are kept in a process-wide
// table so that detach finds the attachment attach made.
#include "memdomain/dpdk/heap.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "heap_registry.h"
#include "log.h"
#include "memdomain/common/names.h"

using namespace memdomain;
using namespace memdomain::dpdk;

namespace {

struct CapiState {
    std::mutex mutex;
    // Keeps each attachment a C API heap lives on open.
    std::map<SharedDomain*, std::shared_ptr<SharedDomain>> held;
};
// Never destroyed (see shared_domain.cpp).
CapiState& state() {
    static auto* s = new CapiState;
    return *s;
}

Result<DomainKey> key_from(const char* domain, const md_dpdk_heap_options* o) {
    if (domain == nullptr) return make_error("domain name is NULL", EINVAL);
    DomainKey k;
    k.name = domain;
    if (o != nullptr) {
        if (o->transport < MD_TRANSPORT_AUTO || o->transport > MD_TRANSPORT_PCI)
            return make_error("unknown transport " + std::to_string(o->transport), EINVAL);
        k.transport = static_cast<TransportKind>(o->transport);
        if (o->socket_dir != nullptr) k.socket_dir = o->socket_dir;
        if (o->sysfs_root != nullptr) k.sysfs_root = o->sysfs_root;
    }
    return k;
}

// The attachment attach() made for `domain`, with its heap: ENOENT when
// this API holds none. Call with state().mutex held.
Result<std::shared_ptr<SharedDomain>> held_heap(const char* domain, const md_dpdk_heap_options* opts) {
    MD_ASSIGN_OR_RETURN(DomainKey k, key_from(domain, opts));
    std::shared_ptr<SharedDomain> s = SharedDomain::find(k);
    auto it = s ? state().held.find(s.get()) : state().held.end();
    if (it == state().held.end() || !it->second->heap)
        return make_error("no heap on domain '" + k.name + "' in this process", ENOENT);
    return it->second;
}

}  // namespace

extern "C" {

void md_dpdk_heap_options_init(md_dpdk_heap_options* opts) {
    if (opts != nullptr) *opts = md_dpdk_heap_options{};
}

int md_dpdk_heap_attach(const char* domain, const md_dpdk_heap_options* opts) {
    auto key = key_from(domain, opts);
    if (!key) return report(heap_logtype, key.error(), EINVAL);
    if (opts != nullptr && (opts->reserved0 != 0 || opts->reserved[0] | opts->reserved[1] | opts->reserved[2] | opts->reserved[3]))
        return report(heap_logtype, make_error("reserved option fields must be 0", EINVAL));
    std::lock_guard<std::mutex> g(state().mutex);
    auto shared = SharedDomain::acquire(*key);
    if (!shared) return report(heap_logtype, shared.error());
    const std::string name = (opts != nullptr && opts->heap_name != nullptr) ? opts->heap_name : "";
    DomainLock l((*shared)->lock());
    auto heap = DomainHeap::ensure(**shared, name, opts != nullptr ? opts->min_bytes : 0);
    if (!heap) return report(heap_logtype, heap.error());
    state().held[shared->get()] = *shared;
    return (*heap)->socket_id();
}

int md_dpdk_heap_detach(const char* domain, const md_dpdk_heap_options* opts) {
    std::lock_guard<std::mutex> g(state().mutex);
    auto held = held_heap(domain, opts);
    if (!held) return report(heap_logtype, held.error(), EINVAL);
    std::shared_ptr<SharedDomain> shared = *held;
    {
        DomainLock l(shared->lock());
        auto r = DomainHeap::release(*shared, true);
        if (!r) return report(heap_logtype, r.error());
    }
    if (!shared->heap) state().held.erase(shared.get());
    return 0;
}

int md_dpdk_heap_get_info(const char* domain, const md_dpdk_heap_options* opts, md_dpdk_heap_info* out) {
    if (out == nullptr) return report(heap_logtype, make_error("md_dpdk_heap_get_info: out is NULL", EINVAL));
    std::lock_guard<std::mutex> g(state().mutex);
    auto held = held_heap(domain, opts);
    if (!held) return report(heap_logtype, held.error(), EINVAL);
    const DomainHeap& h = *(*held)->heap;
    *out = md_dpdk_heap_info{};
    std::strncpy(out->heap_name, h.name().c_str(), MD_DPDK_HEAP_NAME_MAX);
    out->socket_id = h.socket_id();
    out->iova_source = h.iova_source();
    out->base = h.base();
    out->size = h.size();
    out->offset = h.offset_of(h.base());
    out->page_size = h.page_size();
    out->first_iova = h.first_iova();
    out->references = h.references();
    return 0;
}

const char* md_dpdk_last_error(void) { return last_error(); }

}  // extern "C"
