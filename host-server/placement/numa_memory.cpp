#include "placement/numa_memory.h"

#include <numaif.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <string>

namespace memdomain::placement {

namespace {

constexpr int kLongBits = sizeof(unsigned long) * CHAR_BIT;
// Node masks passed to the kernel: large enough for any MAX_NUMNODES
// (CONFIG_NODES_SHIFT is at most 10).
constexpr int kMaxNodes = 1024;

std::string range(const void* addr, std::size_t len) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "[%p, +%#zx)", addr, len);
    return buf;
}

std::string hex(const void* addr) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", addr);
    return buf;
}

}  // namespace

Status bind_to_node(void* addr, std::size_t len, int node) {
    if (node < 0 || node >= kMaxNodes) {
        return make_error("mbind " + range(addr, len) + ": node " + std::to_string(node) + " out of range", EINVAL);
    }
    std::vector<unsigned long> mask(static_cast<std::size_t>(node / kLongBits + 1), 0);
    mask[node / kLongBits] |= 1UL << (node % kLongBits);
    // The kernel reads maxnode-1 bits: pass one more than the mask holds.
    const unsigned long maxnode = mask.size() * kLongBits + 1;
    if (::mbind(addr, len, MPOL_BIND, mask.data(), maxnode, MPOL_MF_MOVE | MPOL_MF_STRICT) != 0) {
        return sys_error("mbind " + range(addr, len) + " to node " + std::to_string(node));
    }
    return {};
}

Result<std::vector<int>> page_nodes(const void* addr, std::size_t len, std::uint64_t page_size) {
    if (page_size == 0 || page_size % 4096 != 0) {
        return make_error("page_nodes: page size " + std::to_string(page_size) + " is not a multiple of 4096", EINVAL);
    }
    const std::size_t n = (len + page_size - 1) / page_size;
    std::vector<void*> pages(n);
    std::vector<int> status(n, 0);
    auto* base = static_cast<char*>(const_cast<void*>(addr));
    for (std::size_t i = 0; i < n; ++i) pages[i] = base + i * page_size;
    if (n == 0) return status;
    if (::move_pages(0, n, pages.data(), nullptr, status.data(), 0) != 0) {
        return sys_error("move_pages (query) " + range(addr, len));
    }
    return status;
}

Result<int> policy_node(const void* addr) {
    int node = -1;
    if (::get_mempolicy(&node, nullptr, 0, const_cast<void*>(addr), MPOL_F_NODE | MPOL_F_ADDR) != 0) {
        return sys_error("get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) at " + hex(addr));
    }
    return node;
}

Result<MemoryPolicy> address_policy(const void* addr) {
    std::vector<unsigned long> mask(kMaxNodes / kLongBits, 0);
    int mode = 0;
    if (::get_mempolicy(&mode, mask.data(), kMaxNodes, const_cast<void*>(addr), MPOL_F_ADDR) != 0) {
        return sys_error("get_mempolicy(MPOL_F_ADDR) at " + hex(addr));
    }
    MemoryPolicy p;
    // Mode flags ride in the high bits of mode: MPOL_F_STATIC_NODES (1<<15),
    // MPOL_F_RELATIVE_NODES (1<<14), MPOL_F_NUMA_BALANCING (1<<13).
    constexpr int kModeFlags = (1 << 15) | (1 << 14) | (1 << 13);
    p.mode = mode & ~kModeFlags;
    for (int n = 0; n < kMaxNodes; ++n) {
        if (mask[n / kLongBits] & (1UL << (n % kLongBits))) p.nodes.push_back(n);
    }
    return p;
}

}  // namespace memdomain::placement
