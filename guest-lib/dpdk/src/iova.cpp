// IOVAs of an arena's pages: none (IOVA-as-VA), the page frames from
// /proc/self/pagemap (a host in IOVA-as-PA), or the ivshmem BAR's
// guest-physical address plus offset (a VM in IOVA-as-PA).
#include "iova.h"

#include <fcntl.h>
#include <rte_eal.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "memdomain/sys/fd.h"

namespace memdomain::dpdk {
namespace {

constexpr std::uint64_t kPagemapPage = 4096;  // pagemap entries are per base page
constexpr std::uint64_t kPresent = 1ull << 63;
constexpr std::uint64_t kPfnMask = (1ull << 55) - 1;

// The one pread of pagemap (pagemap is read nowhere else in this library).
Result<std::uint64_t> pagemap_entry(int fd, std::uintptr_t va) {
    std::uint64_t entry = 0;
    const off_t at = static_cast<off_t>((va / kPagemapPage) * sizeof(entry));
    const ssize_t n = ::pread(fd, &entry, sizeof(entry), at);
    if (n != static_cast<ssize_t>(sizeof(entry))) return sys_error("pread /proc/self/pagemap", n < 0 ? errno : EIO);
    return entry;
}

Result<sys::UniqueFd> open_pagemap() {
    sys::UniqueFd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open /proc/self/pagemap");
    return fd;
}

Result<std::uint64_t> physical(int fd, const void* va) {
    // Fault the page in first: a shared mapping's page is not in the page
    // table until touched, and pagemap reports only present pages.
    (void)*static_cast<const volatile std::uint8_t*>(va);
    const auto addr = reinterpret_cast<std::uintptr_t>(va);
    MD_ASSIGN_OR_RETURN(std::uint64_t e, pagemap_entry(fd, addr));
    if ((e & kPresent) == 0) return make_error("pagemap: page at " + std::to_string(addr) + " is not present", EIO);
    const std::uint64_t pfn = e & kPfnMask;
    if (pfn == 0)
        return make_error("pagemap shows no page frame numbers: IOVA-as-PA needs CAP_SYS_ADMIN "
                          "(or run the EAL with --iova-mode=va)",
                          EPERM);
    return pfn * kPagemapPage + (addr % kPagemapPage);
}

Result<IovaTable> pagemap_iovas(std::byte* base, std::uint64_t size, std::uint64_t page) {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd fd, open_pagemap());
    IovaTable t{MD_DPDK_IOVA_PAGEMAP, {}};
    t.iovas.reserve(size / page);
    for (std::uint64_t off = 0; off < size; off += page) {
        MD_ASSIGN_OR_RETURN(std::uint64_t pa, physical(fd.get(), base + off));
        t.iovas.push_back(pa);
    }
    return t;
}

// BAR 2's guest-physical start from sysfs "resource" (line 3: "start end flags").
Result<std::uint64_t> bar2_start(const std::string& sysfs_root, const std::string& pci_address) {
    const std::string path = sysfs_root + "/bus/pci/devices/" + pci_address + "/resource";
    std::ifstream in(path);
    std::string line;
    for (int i = 0; i <= 2; ++i) {
        if (!std::getline(in, line)) return make_error(path + ": no line for BAR 2", ENODEV);
    }
    std::uint64_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 " %" SCNx64, &start, &end) != 2 || start == 0 || end <= start)
        return make_error(path + ": BAR 2 is not assigned ('" + line + "')", ENODEV);
    return start;
}

Result<IovaTable> bar_iovas(SharedDomain& shared, std::byte* base, std::uint64_t size, std::uint64_t page) {
    OpenOptions o;
    o.transport = TransportKind::Pci;
    o.sysfs_root = shared.key().sysfs_root;
    MD_ASSIGN_OR_RETURN(auto listings, list_domains(o));
    std::string address;
    for (const DomainListing& l : listings) {
        if (l.name == shared.key().name && l.segment == 0) {
            address = l.location;
            break;
        }
    }
    if (address.empty()) return make_error("no ivshmem device of domain '" + shared.key().name + "' in sysfs", ENODEV);
    MD_ASSIGN_OR_RETURN(std::uint64_t bar, bar2_start(o.sysfs_root, address));
    const SegmentView& seg = shared.domain().segments().front();
    const std::uint64_t first = static_cast<std::uint64_t>(base - seg.base);
    IovaTable t{MD_DPDK_IOVA_PCI_BAR, {}};
    t.iovas.reserve(size / page);
    for (std::uint64_t off = 0; off < size; off += page) t.iovas.push_back(bar + first + off);
    return t;
}

}  // namespace

Result<std::uint64_t> pagemap_physical(const void* va) {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd fd, open_pagemap());
    return physical(fd.get(), va);
}

Result<IovaTable> arena_iovas(SharedDomain& shared, std::byte* base, std::uint64_t size, std::uint64_t page) {
    if (rte_eal_iova_mode() != RTE_IOVA_PA) return IovaTable{};
    if (shared.domain().transport() == TransportKind::Pci) return bar_iovas(shared, base, size, page);
    return pagemap_iovas(base, size, page);
}

}  // namespace memdomain::dpdk
