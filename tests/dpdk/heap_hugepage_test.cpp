// The heap adapter on a domain of 2 MiB pages with an EAL on hugepages
// (label hugepages: it takes pages from the machine-wide pool). In
// IOVA-as-PA mode the heap's IOVAs must be the page frames.
#include <gtest/gtest.h>

#include "heap_checks.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test::dpdk {
namespace {

TEST(DpdkHeap, HugepageObjectsLandInsideTheArena) {
    auto pool = sys::hugepage_pool(2u << 20);
    ASSERT_TRUE(pool && pool->available() >= 48)
        << "this test needs 48 free 2 MiB hugepages (32 for the domain, the rest for the EAL); "
        << (pool ? std::to_string(pool->available()) : std::string("no pool")) << " are free";
    objects_inside_arena(true);
}

}  // namespace
}  // namespace memdomain::test::dpdk
