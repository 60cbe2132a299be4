#include "memdomain/sys/memory.h"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "memdomain/common/sizes.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace memdomain::sys {

Result<UniqueFd> memfd_create(const std::string& name, std::uint64_t page_size) {
    unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    if (page_size == 2 * MiB)
        flags |= MFD_HUGETLB | MFD_HUGE_2MB;
    else if (page_size == 1 * GiB)
        flags |= MFD_HUGETLB | MFD_HUGE_1GB;
    else if (page_size != 4 * KiB)
        return make_error("memfd " + name + ": unsupported page size " + std::to_string(page_size), EINVAL);
    int fd = ::memfd_create(name.c_str(), flags);
    if (fd < 0) return sys_error("memfd_create " + name + " (" + format_size(page_size) + " pages)");
    return UniqueFd(fd);
}

Status ftruncate(int fd, std::uint64_t size) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return sys_error("ftruncate to " + format_size(size));
    return {};
}

Status seal_size(int fd) {
    if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        return sys_error("fcntl F_ADD_SEALS");
    return {};
}

Status chmod_fd(int fd, unsigned mode) {
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return sys_error("fchmod");
    return {};
}

Result<int> get_seals(int fd) {
    int s = ::fcntl(fd, F_GET_SEALS);
    if (s < 0) return sys_error("fcntl F_GET_SEALS");
    return s;
}

Result<UniqueFd> reopen(int fd, int open_flags) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    int nfd = ::open(path.c_str(), open_flags | O_CLOEXEC);
    if (nfd < 0) return sys_error("reopen " + path);
    return UniqueFd(nfd);
}

Result<std::uint64_t> fd_size(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return sys_error("fstat");
    return static_cast<std::uint64_t>(st.st_size);
}

Result<std::uint64_t> fd_allocated_bytes(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return sys_error("fstat");
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        reset();
        addr_ = std::exchange(o.addr_, nullptr);
        size_ = std::exchange(o.size_, 0);
    }
    return *this;
}

void Mapping::reset() noexcept {
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = nullptr;
    size_ = 0;
}

Result<Mapping> map_shared(int fd, std::size_t size, Protection prot, std::uint64_t offset, void* fixed_addr) {
    int p = prot == Protection::ReadWrite ? PROT_READ | PROT_WRITE : PROT_READ;
    int flags = MAP_SHARED | (fixed_addr ? MAP_FIXED_NOREPLACE : 0);
    void* a = ::mmap(fixed_addr, size, p, flags, fd, static_cast<off_t>(offset));
    if (a == MAP_FAILED) return sys_error("mmap " + format_size(size));
    if (fixed_addr != nullptr && a != fixed_addr) {  // kernels before 4.17 ignore the flag
        ::munmap(a, size);
        return make_error("mmap: address range is taken", EEXIST);
    }
    return Mapping(a, size);
}

Status prefault(void* addr, std::size_t size, std::uint64_t page_size) {
    if (::madvise(addr, size, MADV_POPULATE_WRITE) == 0) return {};
    if (errno != EINVAL) return sys_error("madvise(MADV_POPULATE_WRITE)");
    // Older kernel: touch each page with an atomic no-op so contents stay.
    auto* p = static_cast<volatile unsigned char*>(addr);
    for (std::size_t off = 0; off < size; off += page_size) {
        unsigned char v = p[off];
        p[off] = v;
    }
    return {};
}

Result<HugepagePool> hugepage_pool(std::uint64_t page_size) {
    const std::string dir = "/sys/kernel/mm/hugepages/hugepages-" + std::to_string(page_size / KiB) + "kB/";
    HugepagePool pool;
    pool.page_size = page_size;
    auto read = [&](const char* file, std::uint64_t& out) -> Status {
        std::ifstream in(dir + file);
        if (!(in >> out)) return make_error("cannot read " + dir + file, ENOENT);
        return {};
    };
    MD_TRY(read("nr_hugepages", pool.total));
    MD_TRY(read("free_hugepages", pool.free));
    MD_TRY(read("resv_hugepages", pool.reserved));
    return pool;
}

}  // namespace memdomain::sys
