// Writes the seed corpora of the header targets. The outputs are committed.
//   make_header_seeds OUTDIR [READBACK_OUTDIR]
// OUTDIR (fuzz_segment_header): valid headers of every shape
// write_segment_header makes, and a few with one field corrupted, each as 8
// bytes of mapped size followed by the 4 KiB header.
// READBACK_OUTDIR (fuzz_server_readback): a mode byte, then the header and
// mailbox of that target's domain (fuzz_readback_spec.h) as a peer might
// leave them: intact with counters rung, and scribbled with extreme values.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fuzz_readback_spec.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/common/sizes.h"

using namespace memdomain;

namespace {

bool emit(const std::string& dir, const std::string& name, std::uint64_t mapped, const SegmentHeaderSpec& spec,
          const std::function<void(SegmentHeader&)>& damage = {}) {
    // write_segment_header also clears the mailbox after the header.
    std::vector<std::uint8_t> seg(kHeaderAreaSize + spec.max_peers * kMailboxStride + 4096, 0);
    if (!write_segment_header(seg.data(), spec)) return false;
    auto* h = reinterpret_cast<SegmentHeader*>(seg.data());
    if (damage) damage(*h);
    FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    if (!f) return false;
    std::fwrite(&mapped, 8, 1, f);  // little-endian on every host we build on
    std::fwrite(seg.data(), 1, kHeaderAreaSize, f);
    return std::fclose(f) == 0;
}

// One fuzz_server_readback seed: `mode`, then header + mailbox.
bool emit_readback(const std::string& dir, const std::string& name, std::uint8_t mode,
                   const std::function<void(std::vector<std::uint8_t>&)>& damage = {}) {
    SegmentHeaderSpec s;
    s.domain_name = fuzz::kReadbackDomain;
    s.segment_size = fuzz::kReadbackSize;
    s.vectors = fuzz::kReadbackVectors;
    s.max_peers = fuzz::kReadbackMaxPeers;
    s.generation = 0x5eed;
    auto g = segment_geometry(s);
    if (!g) return false;
    std::vector<std::uint8_t> area(g->data_offset, 0);
    if (!write_segment_header(area.data(), s)) return false;
    auto* h = reinterpret_cast<SegmentHeader*>(area.data());
    header_set_present(h, 0, true);
    header_set_present(h, 1, true);
    auto* mailbox = reinterpret_cast<std::uint64_t*>(area.data() + g->mailbox_offset);
    mailbox[0 * 8 + 0] = 3;   // peer 0, vector 0
    mailbox[1 * 8 + 7] = 12;  // peer 1, vector 7
    if (damage) damage(area);
    FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    if (!f) return false;
    std::fwrite(&mode, 1, 1, f);
    std::fwrite(area.data(), 1, area.size(), f);
    return std::fclose(f) == 0;
}

bool readback_seeds(const std::string& dir) {
    auto hdr = [](std::vector<std::uint8_t>& a) { return reinterpret_cast<SegmentHeader*>(a.data()); };
    bool ok = true;
    ok &= emit_readback(dir, "intact-views-only", 0);
    ok &= emit_readback(dir, "intact-adopt-both-join-leave", 7);
    ok &= emit_readback(dir, "extreme-layout", 7, [&](std::vector<std::uint8_t>& a) {
        SegmentHeader* h = hdr(a);
        h->mailbox_offset = 0x7fff00000000ull;
        h->mailbox_size = ~0ull;
        h->max_peers = 0xffffffffu;
        h->vectors = 0xffffffffu;
        h->data_offset = 0;
        h->segment_size = ~0ull;
    });
    ok &= emit_readback(dir, "presence-and-count-scribbled", 7, [&](std::vector<std::uint8_t>& a) {
        SegmentHeader* h = hdr(a);
        for (auto& w : h->presence) w = ~0ull;
        h->peer_count = ~0ull;
        h->presence_seq = ~0ull;
        for (auto& e : h->peer_epoch) e = 0xffff;
    });
    ok &= emit_readback(dir, "bigger-than-the-memfd", 3, [&](std::vector<std::uint8_t>& a) {
        hdr(a)->segment_size = 2 * fuzz::kReadbackSize;
    });
    ok &= emit_readback(dir, "renamed", 3, [&](std::vector<std::uint8_t>& a) {
        std::memcpy(hdr(a)->domain_name, "Other", 6);
    });
    ok &= emit_readback(dir, "all-ones", 7, [](std::vector<std::uint8_t>& a) { std::memset(a.data(), 0xff, a.size()); });
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: %s OUTDIR [READBACK_OUTDIR]\n", argv[0]);
        return 2;
    }
    if (argc == 3 && !readback_seeds(argv[2])) return 1;
    const std::string dir = argv[1];
    SegmentHeaderSpec s;
    s.domain_name = "MainMem";
    s.segment_size = 1 * MiB;
    s.generation = 0x5eed;
    bool ok = true;
    ok &= emit(dir, "valid-4k-1m", 1 * MiB, s);
    SegmentHeaderSpec huge = s;
    huge.page_size = 2 * MiB;
    huge.segment_size = 64 * MiB;
    huge.vectors = 2;
    ok &= emit(dir, "valid-2m-64m-2vec", 64 * MiB, huge);
    SegmentHeaderSpec gig = s;
    gig.page_size = 1 * GiB;
    gig.segment_size = 1 * GiB;
    gig.max_peers = 1024;
    gig.vectors = 8;
    ok &= emit(dir, "valid-1g-1024peers-8vec", 2 * GiB, gig);
    SegmentHeaderSpec ro = s;
    ro.access = SegmentAccess::ReadOnly;
    ro.segment_index = 1;
    ro.segment_count = 2;
    ok &= emit(dir, "valid-ro-second-segment", 1 * MiB, ro);
    SegmentHeaderSpec tiny = s;
    tiny.max_peers = 1;
    tiny.segment_size = 12 * KiB;
    ok &= emit(dir, "valid-smallest", 12 * KiB, tiny);
    const std::string long_name(63, 'n');
    SegmentHeaderSpec named = s;
    named.domain_name = long_name;
    ok &= emit(dir, "valid-63-char-name", 1 * MiB, named);
    ok &= emit(dir, "valid-with-peers-present", 1 * MiB, s, [](SegmentHeader& h) {
        header_set_present(&h, 0, true);
        header_set_present(&h, 63, true);
    });
    ok &= emit(dir, "bad-magic", 1 * MiB, s, [](SegmentHeader& h) { h.magic[0] = 'X'; });
    ok &= emit(dir, "bad-name-no-nul", 1 * MiB, s,
               [](SegmentHeader& h) { std::memset(h.domain_name, 'a', sizeof h.domain_name); });
    ok &= emit(dir, "bad-segment-beyond-mapping", 512 * KiB, s);
    ok &= emit(dir, "bad-mailbox-offset", 1 * MiB, s, [](SegmentHeader& h) { h.mailbox_offset = 0; });
    ok &= emit(dir, "bad-presence-beyond-max-peers", 1 * MiB, s, [](SegmentHeader& h) { h.presence[15] = 1; });
    ok &= emit(dir, "bad-vectors", 1 * MiB, s, [](SegmentHeader& h) { h.vectors = 9; });
    return ok ? 0 : 1;
}
