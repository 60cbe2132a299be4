// Implementation of bar0_registers.h.
#include "pci/bar0_registers.h"

#include "memdomain/common/ivshmem_protocol.h"
#include "pci/vfio_sys.h"

namespace memdomain::pci {

Result<std::uint32_t> Bar0Registers::read32(std::uint32_t reg) const {
    if (reg + 4 > ivshmem::kBar0Size || reg % 4 != 0) return make_error("BAR0 register " + std::to_string(reg), EINVAL);
    if (map_.valid()) return *reinterpret_cast<const volatile std::uint32_t*>(map_.bytes() + reg);
    if (fd_ < 0) return make_error("BAR0 is not mapped", ENXIO);
    std::uint32_t v = 0;
    MD_TRY(vfio::region_read(fd_, offset_ + reg, &v, sizeof v));
    return v;
}

Status Bar0Registers::write32(std::uint32_t reg, std::uint32_t value) const {
    if (reg + 4 > ivshmem::kBar0Size || reg % 4 != 0) return make_error("BAR0 register " + std::to_string(reg), EINVAL);
    if (map_.valid()) {
        *reinterpret_cast<volatile std::uint32_t*>(map_.bytes() + reg) = value;
        return {};
    }
    if (fd_ < 0) return make_error("BAR0 is not mapped", ENXIO);
    return vfio::region_write(fd_, offset_ + reg, &value, sizeof value);
}

}  // namespace memdomain::pci
