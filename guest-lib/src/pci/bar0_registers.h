// The ivshmem register BAR (BAR0, 256 bytes: IntrMask, IntrStatus,
// IVPosition, Doorbell; see memdomain/common/ivshmem_protocol.h). Reached
// through a mapping of resource0 when possible, else through pread/pwrite on
// a vfio device fd (vfio cannot mmap a BAR smaller than a page unless it sits
// alone in its page).
#pragma once

#include <cstdint>

#include "memdomain/common/result.h"
#include "memdomain/sys/memory.h"

namespace memdomain::pci {

class Bar0Registers {
public:
    Bar0Registers() = default;
    // Registers in a mapping of at least 16 bytes (checked by the caller).
    explicit Bar0Registers(sys::Mapping mapping) : map_(std::move(mapping)) {}
    // Registers at `offset` of `fd` (not owned: it must outlive this object).
    Bar0Registers(int fd, std::uint64_t offset) : fd_(fd), offset_(offset) {}

    bool valid() const { return map_.valid() || fd_ >= 0; }
    // One 32-bit access each: MMIO registers must not be split or merged.
    Result<std::uint32_t> read32(std::uint32_t reg) const;
    Status write32(std::uint32_t reg, std::uint32_t value) const;

private:
    sys::Mapping map_;
    int fd_ = -1;
    std::uint64_t offset_ = 0;
};

}  // namespace memdomain::pci
