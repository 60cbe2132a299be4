// libFuzzer target: validate_segment_header on arbitrary bytes, as a guest
// sees them in a BAR that a hostile or broken peer scribbled on. It must
// never crash; when it accepts a header, every range the header names must
// lie inside the mapped size, and the mailbox helpers must stay inside the
// mailbox.
//
// Input: 8 bytes of little-endian mapped size (how big the BAR claims to be),
// then the header bytes (zero-padded to 4 KiB). validate only reads the first
// 4 KiB, so the claimed size may exceed the buffer; nothing beyond the header
// is dereferenced here.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "memdomain/common/names.h"
#include "memdomain/common/segment_header.h"

using namespace memdomain;

namespace {

[[noreturn]] void broken(const char* rule) {
    std::fprintf(stderr, "invariant broken: %s\n", rule);
    std::abort();
}

// a + b <= limit without overflowing.
bool fits(std::uint64_t a, std::uint64_t b, std::uint64_t limit) { return a <= limit && b <= limit - a; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint64_t mapped = 0;
    std::memcpy(&mapped, data, size < 8 ? size : 8);
    const std::size_t body = size > 8 ? size - 8 : 0;
    std::vector<std::uint8_t> bar(kHeaderAreaSize > body ? kHeaderAreaSize : body, 0);
    if (body) std::memcpy(bar.data(), data + 8, body);

    auto h = validate_segment_header(bar.data(), mapped);
    if (!h) {
        if (h.error().message.rfind("invalid segment header: ", 0) != 0) broken("error says what it is about");
        return 0;
    }
    if (h->segment_size > mapped) broken("segment within mapping");
    if (h->mailbox_offset < kHeaderAreaSize) broken("mailbox after header");
    if (!fits(h->mailbox_offset, h->mailbox_size, h->data_offset)) broken("mailbox before data");
    if (!fits(h->data_offset, h->data_size, h->segment_size)) broken("data within segment");
    if (h->data_size == 0) broken("data area not empty");
    if (h->mailbox_size < std::uint64_t{h->max_peers} * kMailboxStride) broken("mailbox line per peer");
    if (!validate_domain_name(header_domain_name(*h))) broken("name valid");
    // Mailbox words, computed against a fake base: only the arithmetic is
    // checked, the bytes are never touched.
    auto* base = reinterpret_cast<void*>(std::uintptr_t{1} << 40);
    const auto lo = reinterpret_cast<std::uintptr_t>(base) + h->mailbox_offset;
    const auto hi = reinterpret_cast<std::uintptr_t>(base) + h->data_offset;
    for (std::uint32_t peer = 0; peer <= h->max_peers; ++peer)
        for (std::uint32_t v = 0; v <= h->vectors; ++v) {
            auto* w = mailbox_word(base, *h, peer, v);
            const bool in_range = peer < h->max_peers && v < h->vectors;
            if ((w != nullptr) != in_range) broken("mailbox_word refuses out-of-range ids only");
            if (w && (reinterpret_cast<std::uintptr_t>(w) < lo || reinterpret_cast<std::uintptr_t>(w) + 8 > hi))
                broken("mailbox word inside mailbox");
        }
    for (std::uint32_t peer = 0; peer < kMaxPeers + 2; ++peer)
        if (header_is_present(&*h, peer) && peer >= h->max_peers) broken("no presence beyond max_peers");
    return 0;
}
