// An ivshmem device opened through VFIO, for its MSI-X interrupts (and, when
// sysfs refuses to map a BAR of a vfio-bound device, for the BAR itself).
//
// What it needs in the guest: an IOMMU (q35 +
// intel-iommu,intremap=on and intel_iommu=on; Debian's kernel has no
// VFIO_NOIOMMU), the modules irqbypass vfio vfio_iommu_type1 vfio_virqfd
// vfio-pci-core vfio-pci, the device bound to vfio-pci (bind_to_vfio_pci in
// vfio_bind.h), and /dev/vfio/<group> present (devtmpfs). A group can be
// open in one process at a time: a second process gets EBUSY and falls back
// to polling.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"
#include "pci/pci_scan.h"

namespace memdomain::pci {

// True when the device is bound to vfio-pci and its group node exists.
bool vfio_available(const IvshmemDevice& device);

class VfioDevice {
public:
    // Container + group + device fd, type1 IOMMU chosen. Errors name the device.
    static Result<VfioDevice> open(const IvshmemDevice& device);

    // Sets Memory Space and Bus Master in the PCI command register through
    // the config region. Without bus mastering an MSI (a memory write by the
    // device) is dropped silently.
    Status enable_bus_master();
    // One new eventfd per MSI-X vector 0..vectors-1, handed to the kernel.
    // EINVAL when the device offers fewer MSI-X vectors.
    Status arm_msix(std::uint32_t vectors);
    int irq_eventfd(std::uint32_t vector) const {
        return vector < eventfds_.size() ? eventfds_[vector].get() : -1;
    }

    // Maps BAR `bar` through the device fd (when the region allows mmap).
    Result<sys::Mapping> map_bar(std::uint32_t bar, sys::Protection prot) const;
    // Where BAR `bar` lives in the device fd, for pread/pwrite access.
    Result<std::uint64_t> bar_offset(std::uint32_t bar) const;
    Result<std::uint64_t> bar_size(std::uint32_t bar) const;
    int device_fd() const { return device_.get(); }

private:
    VfioDevice() = default;
    std::string address_;
    // Declared in the order they must close in reverse: device, group, container.
    sys::UniqueFd container_;
    sys::UniqueFd group_;
    sys::UniqueFd device_;
    std::vector<sys::UniqueFd> eventfds_;
};

}  // namespace memdomain::pci
