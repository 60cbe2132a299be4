// The one integration test on real 2 MiB hugepages: two peers share a
// hugetlb-backed domain. Skips, saying why, when the pool is too small.
#include <gtest/gtest.h>

#include "agent_client.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

constexpr std::uint64_t kPagesNeeded = 2;  // the 4 MiB domain below
const std::string kConfig = domain_config("Huge2M", "4MB", 1, "2M");

TEST(HugepageDomain, TwoPeersShareBytesAndDoorbellsOn2MPages) {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool || pool->available() < kPagesNeeded)
        GTEST_SKIP() << "needs " << kPagesNeeded << " free 2 MiB hugepages, "
                     << (pool ? std::to_string(pool->available()) + " available"
                              : "pool unreadable: " + pool.error().message)
                     << " (as root: echo 8 > /proc/sys/vm/nr_hugepages)";
    Server server(kConfig);
    ASSERT_TRUE(server.ok()) << server.start_error();
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    ASSERT_GE(a.open("Huge2M", server.socket_dir()), 0);
    const int idb = b.open("Huge2M", server.socket_dir());
    ASSERT_GE(idb, 0);
    EXPECT_EQ(b.ok("page_size"), std::to_string(2 * MiB));
    // Bytes at the far end of the data area: the whole 4 MiB is shared.
    a.ok("write 4100000 on-a-hugepage");
    EXPECT_EQ(b.ok("read 4100000 13"), "on-a-hugepage");
    ASSERT_TRUE(a.sees_peer(idb));
    a.ok("notify " + std::to_string(idb) + " 0");
    EXPECT_EQ(b.ok("wait 0 2000"), "1");
}

}  // namespace
}  // namespace memdomain::test
