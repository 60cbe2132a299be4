#include "domain/segment.h"

#include <fcntl.h>
#include <sys/random.h>

#include "memdomain/common/sizes.h"

namespace memdomain::server {
namespace {

Error in_domain(const SegmentSpec& s, const Error& e) {
    std::string where = "domain " + s.domain;
    if (s.count > 1) where += " segment " + std::to_string(s.index);
    return make_error(where + ": " + e.message, e.sys);
}

}  // namespace

std::uint64_t new_generation() {
    std::uint64_t g = 0;
    while (g == 0)
        if (::getrandom(&g, sizeof g, 0) != sizeof g) g = static_cast<std::uint64_t>(::time(nullptr));
    return g;
}

Result<Segment> Segment::create(const SegmentSpec& spec) {
    Segment seg;
    seg.spec_ = spec;
    seg.generation_ = spec.generation != 0 ? spec.generation : new_generation();
    auto fail = [&](const Error& e) { return in_domain(spec, e); };

    auto fd = sys::memfd_create("memdomain:" + spec.domain + "#" + std::to_string(spec.index), spec.page_size);
    if (!fd) return fail(fd.error());
    // Mode 0600 before anything else: otherwise a client holding our
    // O_RDONLY descriptor could reopen /proc/<its pid>/fd/N read-write.
    if (auto st = sys::chmod_fd(fd->get(), 0600); !st) return fail(st.error());
    if (auto st = sys::ftruncate(fd->get(), spec.size); !st) return fail(st.error());
    if (auto st = sys::seal_size(fd->get()); !st) return fail(st.error());

    // Map everything once: write the header, prefault if static, then keep
    // only the first page mapped (a huge page for hugetlb segments).
    auto whole = sys::map_shared(fd->get(), spec.size, sys::Protection::ReadWrite);
    if (!whole) {
        if (whole.error().sys == ENOMEM && spec.page_size > 4 * KiB)
            return fail(make_error("the " + format_size(spec.page_size) + " hugepage pool cannot back " +
                                       format_size(spec.size) + " (" +
                                       std::to_string(spec.size / spec.page_size) + " pages)",
                                   ENOMEM));
        return fail(whole.error());
    }
    SegmentHeaderSpec hs;
    hs.domain_name = spec.domain;
    hs.segment_index = spec.index;
    hs.segment_count = spec.count;
    hs.page_size = spec.page_size;
    hs.segment_size = spec.size;
    hs.generation = seg.generation_;
    hs.access = spec.access;
    hs.vectors = spec.vectors;
    hs.max_peers = spec.max_peers;
    if (auto st = write_segment_header(whole->data(), hs); !st) return fail(st.error());
    if (spec.prefault)
        if (auto st = sys::prefault(whole->data(), spec.size, spec.page_size); !st) return fail(st.error());
    whole->reset();

    auto head = sys::map_shared(fd->get(), std::max<std::uint64_t>(spec.page_size, kHeaderAreaSize),
                                sys::Protection::ReadWrite);
    if (!head) return fail(head.error());
    seg.header_map_ = std::move(head).value();
    seg.fd_ = std::make_shared<const sys::UniqueFd>(std::move(fd).value());
    return seg;
}

Result<sys::UniqueFd> Segment::open_read_only() const { return sys::reopen(fd_->get(), O_RDONLY); }

}  // namespace memdomain::server
