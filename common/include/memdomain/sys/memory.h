// Memory system calls, wrapped once: memfd creation and sealing, mappings,
// prefaulting, and the hugepage pool's counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::sys {

// memfd_create with MFD_CLOEXEC | MFD_ALLOW_SEALING, plus MFD_HUGETLB and the
// matching MFD_HUGE_* flag when page_size is 2 MiB or 1 GiB.
Result<UniqueFd> memfd_create(const std::string& name, std::uint64_t page_size);
Status ftruncate(int fd, std::uint64_t size);
// Seals against shrink, grow and further sealing (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL).
Status seal_size(int fd);
// fchmod: a memfd is created mode 0777, and reopening /proc/PID/fd/N checks
// that mode, not the mode the descriptor was opened with.
Status chmod_fd(int fd, unsigned mode);
Result<int> get_seals(int fd);
// Reopens an fd through /proc/self/fd/N with the given open flags (O_RDONLY
// gives a descriptor that can never be mapped writable).
Result<UniqueFd> reopen(int fd, int open_flags);
Result<std::uint64_t> fd_size(int fd);
// Bytes of memory the file actually holds (fstat st_blocks * 512): pages
// faulted in so far, for tmpfs and hugetlbfs alike.
Result<std::uint64_t> fd_allocated_bytes(int fd);

enum class Protection { ReadOnly, ReadWrite };

// An owned mmap'ed range, unmapped on destruction.
class Mapping {
public:
    Mapping() = default;
    Mapping(void* addr, std::size_t size) noexcept : addr_(addr), size_(size) {}
    Mapping(Mapping&& o) noexcept
        : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { reset(); }

    void* data() const noexcept { return addr_; }
    std::byte* bytes() const noexcept { return static_cast<std::byte*>(addr_); }
    std::size_t size() const noexcept { return size_; }
    bool valid() const noexcept { return addr_ != nullptr; }
    void reset() noexcept;

private:
    void* addr_ = nullptr;
    std::size_t size_ = 0;
};

// mmap(MAP_SHARED) of [offset, offset+size) of fd. `fixed_addr`, when not
// null, is passed with MAP_FIXED_NOREPLACE (fails with EEXIST if taken).
Result<Mapping> map_shared(int fd, std::size_t size, Protection prot, std::uint64_t offset = 0,
                           void* fixed_addr = nullptr);
// Faults every page of a writable mapping in (MADV_POPULATE_WRITE, or a
// touch per page where the kernel lacks it) without changing its contents.
Status prefault(void* addr, std::size_t size, std::uint64_t page_size);

// The hugepage pool for one page size, from /sys/kernel/mm/hugepages.
struct HugepagePool {
    std::uint64_t page_size = 0;
    std::uint64_t total = 0;
    std::uint64_t free = 0;
    std::uint64_t reserved = 0;  // promised to mappings but not yet faulted
    std::uint64_t available() const { return free > reserved ? free - reserved : 0; }
};
Result<HugepagePool> hugepage_pool(std::uint64_t page_size);

}  // namespace memdomain::sys
