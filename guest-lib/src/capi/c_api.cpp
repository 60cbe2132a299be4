// The C API: a thin shell over memdomain::Domain that turns Result errors
// into negative errnos plus a thread-local message (md_last_error).
#include "memdomain/memdomain.h"

#include <cerrno>
#include <cstdint>
#include <new>
#include <string>

#include "memdomain/domain.h"

struct md_domain {
    memdomain::Domain domain;
    std::string name;  // NUL-terminated copy for md_name
};

// The C enums and bits mirror the C++ ones value for value.
static_assert(MD_INSTANCE_SHARED == static_cast<int>(memdomain::InstanceKind::Shared));
static_assert(MD_INSTANCE_LOCAL == static_cast<int>(memdomain::InstanceKind::Local));
static_assert(MD_INSTANCE_NUMA == static_cast<int>(memdomain::InstanceKind::Numa));
static_assert(MD_INSTANCE_PREFAULTED == memdomain::kInstancePrefaulted);
static_assert(MD_INSTANCE_CONTIGUOUS == memdomain::kInstanceContiguous);
static_assert(MD_NO_PEER_ID == memdomain::kNoPeerId);
static_assert(MD_MAX_WAIT_COUNT == memdomain::kMaxWaitCount);
// md_wait returns the count as int64_t: it must never look like -errno.
static_assert(MD_MAX_WAIT_COUNT <= static_cast<std::uint64_t>(INT64_MAX));
// The layout is ABI: growing it must take from `reserved`, not add to the end.
static_assert(sizeof(void*) != 8 || sizeof(md_segment_info) == 120);

namespace {

thread_local std::string last_error;

int fail(int err, std::string message) {
    last_error = std::move(message);
    return -err;
}

// An Error without an errno came from a check on input (name, header): EINVAL.
int fail(const memdomain::Error& e) { return fail(e.sys != 0 ? e.sys : EINVAL, e.message); }

}  // namespace

extern "C" {

void md_open_options_init(struct md_open_options* opts) {
    if (opts == nullptr) return;
    opts->transport = MD_TRANSPORT_AUTO;
    opts->socket_dir = nullptr;
    opts->sysfs_root = nullptr;
    opts->timeout_ms = 5000;
}

int md_open(const char* name, const struct md_open_options* opts, struct md_domain** out) {
    return md_open_ex(name, opts, 0, out);
}

int md_open_ex(const char* name, const struct md_open_options* opts, unsigned flags, struct md_domain** out) {
    if (out == nullptr) return fail(EINVAL, "md_open: out is NULL");
    *out = nullptr;
    if (name == nullptr) return fail(EINVAL, "md_open: name is NULL");
    if ((flags & ~MD_OPEN_NO_READER_THREAD) != 0)
        return fail(EINVAL, "md_open_ex: unknown flags " + std::to_string(flags & ~MD_OPEN_NO_READER_THREAD));
    memdomain::OpenOptions o;
    o.reader_thread = (flags & MD_OPEN_NO_READER_THREAD) == 0;
    if (opts != nullptr) {
        switch (opts->transport) {
            case MD_TRANSPORT_AUTO: o.transport = memdomain::TransportKind::Auto; break;
            case MD_TRANSPORT_SOCKET: o.transport = memdomain::TransportKind::Socket; break;
            case MD_TRANSPORT_PCI: o.transport = memdomain::TransportKind::Pci; break;
            default: return fail(EINVAL, "md_open: unknown transport " + std::to_string(opts->transport));
        }
        if (opts->timeout_ms < 0) return fail(EINVAL, "md_open: negative timeout");
        if (opts->socket_dir != nullptr) o.socket_dir = opts->socket_dir;
        if (opts->sysfs_root != nullptr) o.sysfs_root = opts->sysfs_root;
        if (opts->timeout_ms > 0) o.timeout = std::chrono::milliseconds(opts->timeout_ms);
    }
    auto d = memdomain::Domain::open(name, o);
    if (!d) return fail(d.error());
    auto* h = new (std::nothrow) md_domain{std::move(d).value(), name};
    if (h == nullptr) return fail(ENOMEM, "md_open: out of memory");
    *out = h;
    return 0;
}

const char* md_last_error(void) { return last_error.c_str(); }

void md_close(struct md_domain* d) { delete d; }

const char* md_name(const struct md_domain* d) { return d ? d->name.c_str() : nullptr; }
void* md_data(const struct md_domain* d) { return d ? d->domain.data() : nullptr; }
size_t md_data_size(const struct md_domain* d) { return d ? d->domain.data_size() : 0; }
uint64_t md_page_size(const struct md_domain* d) { return d ? d->domain.page_size() : 0; }
int md_access(const struct md_domain* d) {
    return d && d->domain.access() == memdomain::Access::ReadWrite ? MD_ACCESS_RW : MD_ACCESS_RO;
}
uint32_t md_self(const struct md_domain* d) { return d ? d->domain.self() : 0; }
int md_has_peer_id(const struct md_domain* d) { return d && d->domain.has_peer_id() ? 1 : 0; }
int md_reader_tid(const struct md_domain* d) { return d ? d->domain.reader_tid() : -1; }
uint32_t md_vectors(const struct md_domain* d) { return d ? d->domain.vectors() : 0; }
uint64_t md_generation(const struct md_domain* d) { return d ? d->domain.generation() : 0; }

int md_interrupt_mode(const struct md_domain* d) {
    if (d == nullptr) return MD_INTERRUPT_POLLING;
    switch (d->domain.interrupt_mode()) {
        case memdomain::InterruptMode::Eventfd: return MD_INTERRUPT_EVENTFD;
        case memdomain::InterruptMode::VfioMsix: return MD_INTERRUPT_VFIO_MSIX;
        case memdomain::InterruptMode::Polling: return MD_INTERRUPT_POLLING;
        case memdomain::InterruptMode::None: return MD_INTERRUPT_NONE;
    }
    return MD_INTERRUPT_POLLING;
}

uint32_t md_segment_count(const struct md_domain* d) {
    return d ? static_cast<uint32_t>(d->domain.segments().size()) : 0;
}

int md_segment(const struct md_domain* d, uint32_t index, struct md_segment_info* out) {
    if (d == nullptr) return fail(EINVAL, "md_segment: domain is NULL");
    if (out == nullptr) return fail(EINVAL, "md_segment: out is NULL");
    const auto& segments = d->domain.segments();
    if (index >= segments.size())
        return fail(ERANGE, "md_segment: domain " + d->name + " has " + std::to_string(segments.size()) +
                                " segment(s), no segment " + std::to_string(index));
    const memdomain::SegmentView& v = segments[index];
    *out = md_segment_info{};
    out->index = v.index;
    out->numa_node = v.numa_node;
    out->base = v.base;
    out->size = v.size;
    out->data = v.data;
    out->data_size = v.data_size;
    out->page_size = v.page_size;
    out->map_address = v.map_address;
    out->access = v.access == memdomain::Access::ReadWrite ? MD_ACCESS_RW : MD_ACCESS_RO;
    out->instance_kind = static_cast<int32_t>(v.instance_kind);
    out->instance_flags = v.instance_flags;
    return 0;
}

int md_peers(struct md_domain* d, uint32_t* ids, size_t cap) {
    if (d == nullptr) return fail(EINVAL, "md_peers: domain is NULL");
    if (ids == nullptr && cap > 0) return fail(EINVAL, "md_peers: ids is NULL");
    const auto peers = d->domain.peers();
    for (size_t i = 0; i < peers.size() && i < cap; ++i) ids[i] = peers[i];
    return static_cast<int>(peers.size());
}

int md_notify(struct md_domain* d, uint32_t peer, uint32_t vector) {
    if (d == nullptr) return fail(EINVAL, "md_notify: domain is NULL");
    auto st = d->domain.notify(peer, vector);
    return st ? 0 : fail(st.error());
}

int64_t md_wait(struct md_domain* d, uint32_t vector, int timeout_ms) {
    if (d == nullptr) return fail(EINVAL, "md_wait: domain is NULL");
    auto n = d->domain.wait(vector, std::chrono::milliseconds(timeout_ms));
    if (!n) return fail(n.error());
    return static_cast<int64_t>(*n);
}

int md_doorbell_fd(const struct md_domain* d, uint32_t vector) { return d ? d->domain.doorbell_fd(vector) : -1; }
int md_event_fd(const struct md_domain* d) { return d ? d->domain.event_fd() : -1; }

int md_refresh(struct md_domain* d) {
    if (d == nullptr) return fail(EINVAL, "md_refresh: domain is NULL");
    auto st = d->domain.refresh();
    return st ? 0 : fail(st.error());
}

}  // extern "C"
