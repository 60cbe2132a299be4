// For tests of segments with a map address (the config's "vaddr"): an
// address that is free in this process right now, with room around it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "memdomain/sys/memory.h"

namespace memdomain::test {

// The middle of a 256 MiB range reserved and released again, aligned to
// 2 MiB. Small mappings made afterwards (thread stacks, malloc arenas, the
// library's own header probe) go to the top of the hole, far from the
// middle, so at least 64 MiB from the result stay free.
inline std::uint64_t free_address() {
    constexpr std::uint64_t kReserve = 256 << 20;
    auto fd = sys::memfd_create("address-probe", 4096);
    EXPECT_TRUE(fd && sys::ftruncate(fd->get(), kReserve));
    if (!fd) return 0;
    auto m = sys::map_shared(fd->get(), kReserve, sys::Protection::ReadOnly);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return 0;
    const auto base = reinterpret_cast<std::uint64_t>(m->data());
    return (base + kReserve / 2) & ~std::uint64_t{(2 << 20) - 1};
}

}  // namespace memdomain::test
