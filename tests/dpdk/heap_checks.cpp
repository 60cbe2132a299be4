// See heap_checks.h.
#include "heap_checks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "dpdk_run.h"

namespace memdomain::test::dpdk {

void Witness::open(const Server& s, const std::string& name) {
    OpenOptions o;
    o.socket_dir = s.socket_dir();
    auto d = Domain::open(name, o);
    ASSERT_TRUE(d) << d.error().message;
    domain.emplace(std::move(*d));
    auto a = DataArea::attach(*domain);
    ASSERT_TRUE(a) << a.error().message;
    area.emplace(std::move(*a));
    auto ar = Arena::claim(*area, 4 << 20);
    ASSERT_TRUE(ar) << ar.error().message;
    arena.emplace(std::move(*ar));
    for (std::uint64_t i = 0; i < arena->size(); ++i) arena->data()[i] = std::byte(i * 7 + 3);
}

bool Witness::intact() const {
    for (std::uint64_t i = 0; i < arena->size(); ++i)
        if (arena->data()[i] != std::byte(i * 7 + 3)) return false;
    return true;
}

bool Witness::overlaps(std::uint64_t offset, std::uint64_t size) const {
    return offset < arena->offset() + arena->size() && arena->offset() < offset + size;
}

namespace {
std::uint64_t u64(const std::string& log, const char* prefix, const char* key) {
    auto v = field(log, prefix, key);
    return v ? std::stoull(*v, nullptr, 0) : ~0ull;
}

std::uint64_t physical_of(const void* va) {
    int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    std::uint64_t e = 0;
    (void)*static_cast<const volatile std::uint8_t*>(va);
    const auto a = reinterpret_cast<std::uintptr_t>(va);
    if (fd < 0 || ::pread(fd, &e, 8, static_cast<off_t>(a / 4096 * 8)) != 8) e = 0;
    if (fd >= 0) ::close(fd);
    return ((e & ((1ull << 55) - 1)) * 4096) + a % 4096;
}

}  // namespace

void objects_inside_arena(bool hugepages) {
    const std::string name = "dpdkheap";
    Server server(dpdk_domain_config(name, hugepages ? "64MB" : "128MB", hugepages ? "2M" : "4K"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    Witness w;
    ASSERT_NO_FATAL_FAILURE(w.open(server, name));
    TempDir logs;
    std::vector<std::string> argv = {peer_path()};
    for (auto& a : eal_args("0@0", hugepages, "heap", {})) argv.push_back(a);
    argv.insert(argv.end(), {"--", "heap", "--domain", name, "--socket-dir", server.socket_dir(), "--min-mb", "16"});
    DpdkProcess peer("peer", argv, logs);
    auto st = peer.process().wait(std::chrono::seconds(40));
    ASSERT_TRUE(st.has_value()) << peer.log();
    const std::string log = peer.log();
    ASSERT_EQ(*st, 0) << log;
    EXPECT_EQ(u64(log, "OBJECTS", "outside"), 0u) << log;
    EXPECT_GT(u64(log, "OBJECTS", "inside"), 3000u) << log;  // every mempool object and mbuf
    const std::uint64_t off = u64(log, "HEAP", "offset"), size = u64(log, "HEAP", "size");
    EXPECT_GE(size, 16u << 20) << log;
    EXPECT_LE(off + size, w.area->size()) << log;
    EXPECT_FALSE(w.overlaps(off, size)) << log;
    EXPECT_TRUE(w.intact()) << "the DPDK heap wrote outside its arena";
    // Detach: refused while objects live, then done, then gone.
    EXPECT_EQ(field(log, "DETACH", "busy").value_or(""), "-16") << log;
    EXPECT_EQ(field(log, "DETACH", "after").value_or(""), "0") << log;
    EXPECT_EQ(field(log, "DETACH", "info_after").value_or(""), "-2") << log;
    // IOVAs: none in VA mode; in PA mode the page frame our own mapping of
    // the same bytes has.
    const std::string mode = field(log, "HEAP", "iova_mode").value_or("");
    if (mode == "pa") {
        EXPECT_EQ(field(log, "HEAP", "iova_source").value_or(""), "1") << log;
        const std::uint64_t iova = std::stoull(field(log, "HEAP", "first_iova").value_or("0"), nullptr, 16);
        EXPECT_EQ(iova, physical_of(w.area->data() + off)) << log;
    } else {
        EXPECT_EQ(mode, "va") << log;
        EXPECT_EQ(field(log, "HEAP", "iova_source").value_or(""), "0") << log;
    }
}


}  // namespace memdomain::test::dpdk
