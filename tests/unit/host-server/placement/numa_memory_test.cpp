// Binding memfd memory to a node and asking where its pages are, on the real
// host (one NUMA node): 4K shmem and 2M hugetlb memfds, bound to node 0,
// prefaulted, then page_nodes, policy_node and address_policy.
#include "placement/numa_memory.h"

#include <numaif.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

using namespace memdomain;
using namespace memdomain::placement;

namespace {

struct MappedMemfd {
    sys::UniqueFd fd;
    sys::Mapping map;
};

// A memfd of `size` bytes in `page_size` pages, mapped shared read-write.
MappedMemfd map_memfd(std::uint64_t page_size, std::size_t size) {
    MappedMemfd m;
    auto fd = sys::memfd_create("placement-test", page_size);
    EXPECT_TRUE(fd) << fd.error().message;
    if (!fd) return m;
    m.fd = std::move(*fd);
    auto st = sys::ftruncate(m.fd.get(), size);
    EXPECT_TRUE(st) << st.error().message;
    auto map = sys::map_shared(m.fd.get(), size, sys::Protection::ReadWrite);
    EXPECT_TRUE(map) << map.error().message;
    if (map) m.map = std::move(*map);
    return m;
}

sys::Mapping map_again(const MappedMemfd& m) {
    auto map = sys::map_shared(m.fd.get(), m.map.size(), sys::Protection::ReadWrite);
    EXPECT_TRUE(map) << map.error().message;
    return map ? std::move(*map) : sys::Mapping();
}

void touch_each_page(void* addr, std::size_t size, std::uint64_t page_size) {
    auto* p = static_cast<volatile char*>(addr);
    for (std::size_t off = 0; off < size; off += page_size) p[off] = 1;
}

bool hugepages_available(std::uint64_t n) {
    auto pool = sys::hugepage_pool(2 * MiB);
    return pool && pool->available() >= n;
}

void expect_bound_to_node0(const void* addr) {
    auto pol = address_policy(addr);
    ASSERT_TRUE(pol) << pol.error().message;
    EXPECT_EQ(pol->mode, MPOL_BIND);
    EXPECT_EQ(pol->nodes, (std::vector<int>{0}));
}

}  // namespace

TEST(NumaMemory, Shmem4KBoundToNodeZeroHasAllPagesThere) {
    constexpr std::size_t kSize = 16 * 4096;
    auto m = map_memfd(4096, kSize);
    ASSERT_TRUE(m.map.valid());
    auto st = bind_to_node(m.map.data(), kSize, 0);
    ASSERT_TRUE(st) << st.error().message;
    expect_bound_to_node0(m.map.data());
    touch_each_page(m.map.data(), kSize, 4096);
    auto nodes = page_nodes(m.map.data(), kSize, 4096);
    ASSERT_TRUE(nodes) << nodes.error().message;
    EXPECT_EQ(*nodes, std::vector<int>(16, 0));
    auto node = policy_node(m.map.bytes() + 5 * 4096);
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 0);
}

TEST(NumaMemory, PagesNotFaultedYetReadAsEnoent) {
    constexpr std::size_t kSize = 4 * 4096;
    auto m = map_memfd(4096, kSize);
    ASSERT_TRUE(m.map.valid());
    touch_each_page(m.map.bytes() + 2 * 4096, 4096, 4096);  // page 2 only
    auto nodes = page_nodes(m.map.data(), kSize, 4096);
    ASSERT_TRUE(nodes) << nodes.error().message;
    EXPECT_EQ(*nodes, (std::vector<int>{-ENOENT, -ENOENT, 0, -ENOENT}));
}

TEST(NumaMemory, ShmemPolicyIsSharedByEveryMappingOfTheMemfd) {
    constexpr std::size_t kSize = 4 * 4096;
    auto m = map_memfd(4096, kSize);
    ASSERT_TRUE(m.map.valid());
    ASSERT_TRUE(bind_to_node(m.map.data(), kSize, 0));
    auto other = map_again(m);
    ASSERT_TRUE(other.valid());
    expect_bound_to_node0(other.data());
}

TEST(NumaMemory, Hugetlb2MBoundToNodeZeroHasAllPagesThere) {
    constexpr std::size_t kSize = 2 * 2 * MiB;
    if (!hugepages_available(2)) GTEST_SKIP() << "fewer than 2 free 2M hugepages in the pool";
    auto m = map_memfd(2 * MiB, kSize);
    ASSERT_TRUE(m.map.valid());
    auto st = bind_to_node(m.map.data(), kSize, 0);
    ASSERT_TRUE(st) << st.error().message;
    expect_bound_to_node0(m.map.data());
    touch_each_page(m.map.data(), kSize, 2 * MiB);
    auto nodes = page_nodes(m.map.data(), kSize, 2 * MiB);
    ASSERT_TRUE(nodes) << nodes.error().message;
    EXPECT_EQ(*nodes, std::vector<int>(2, 0));
    auto node = policy_node(m.map.bytes() + 2 * MiB);
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 0);
}

TEST(NumaMemory, HugetlbPolicyStaysWithTheBindingMapping) {
    if (!hugepages_available(1)) GTEST_SKIP() << "no free 2M hugepage in the pool";
    auto m = map_memfd(2 * MiB, 2 * MiB);
    ASSERT_TRUE(m.map.valid());
    ASSERT_TRUE(bind_to_node(m.map.data(), 2 * MiB, 0));
    auto other = map_again(m);
    ASSERT_TRUE(other.valid());
    auto pol = address_policy(other.data());
    ASSERT_TRUE(pol) << pol.error().message;
    EXPECT_EQ(pol->mode, MPOL_DEFAULT) << "hugetlbfs keeps no shared policy";
}

TEST(NumaMemory, BindRejectsBadNodeAndUnalignedAddress) {
    auto m = map_memfd(4096, 2 * 4096);
    ASSERT_TRUE(m.map.valid());
    auto neg = bind_to_node(m.map.data(), 4096, -1);
    ASSERT_FALSE(neg);
    EXPECT_EQ(neg.error().sys, EINVAL);
    auto unaligned = bind_to_node(m.map.bytes() + 1, 4096, 0);
    ASSERT_FALSE(unaligned);
    EXPECT_EQ(unaligned.error().sys, EINVAL);
    EXPECT_NE(unaligned.error().message.find("mbind"), std::string::npos) << unaligned.error().message;
}

TEST(NumaMemory, PageNodesRejectsBadPageSize) {
    auto r = page_nodes(nullptr, 4096, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, EINVAL);
}
