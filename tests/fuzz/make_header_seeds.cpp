// Writes the seed corpus of fuzz_segment_header: valid headers of every
// shape write_segment_header makes, and a few with one field corrupted, each
// as 8 bytes of mapped size followed by the 4 KiB header (the target's input
// format). Usage: make_header_seeds OUTDIR. The outputs are committed.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
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
