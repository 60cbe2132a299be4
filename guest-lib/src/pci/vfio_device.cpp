// Implementation of vfio_device.h: strings the vfio_sys.h calls together.
#include "pci/vfio_device.h"

#include <linux/pci_regs.h>

#include "memdomain/sys/eventfd.h"
#include "pci/sysfs_file.h"
#include "pci/vfio_sys.h"

namespace memdomain::pci {
namespace {

Error in_device(const std::string& address, Error e) {
    e.message = "vfio " + address + ": " + e.message;
    return e;
}

}  // namespace

bool vfio_available(const IvshmemDevice& device) {
    return device.driver == "vfio-pci" && !device.iommu_group.empty() &&
           path_exists(std::string(vfio::kGroupDir) + "/" + device.iommu_group);
}

Result<VfioDevice> VfioDevice::open(const IvshmemDevice& device) {
    VfioDevice d;
    d.address_ = device.address;
    auto fail = [&](Error e) { return in_device(device.address, std::move(e)); };
    if (device.driver != "vfio-pci") return fail(make_error("not bound to vfio-pci", ENODEV));
    if (device.iommu_group.empty()) return fail(make_error("no iommu_group (no IOMMU in this VM?)", ENODEV));

    auto container = vfio::open_container();
    if (!container) return fail(std::move(container).error());
    d.container_ = std::move(*container);
    auto group = vfio::open_group(std::string(vfio::kGroupDir) + "/" + device.iommu_group);
    if (!group) return fail(std::move(group).error());
    d.group_ = std::move(*group);
    if (auto st = vfio::group_set_container(d.group_.get(), d.container_.get()); !st) return fail(st.error());
    if (auto st = vfio::container_set_iommu_type1(d.container_.get()); !st) return fail(st.error());
    auto dev = vfio::group_device_fd(d.group_.get(), device.address);
    if (!dev) return fail(std::move(dev).error());
    d.device_ = std::move(*dev);
    return d;
}

Status VfioDevice::enable_bus_master() {
    auto cfg = vfio::region_info(device_.get(), VFIO_PCI_CONFIG_REGION_INDEX);
    if (!cfg) return in_device(address_, cfg.error());
    std::uint16_t command = 0;
    const std::uint64_t at = cfg->offset + PCI_COMMAND;
    if (auto st = vfio::region_read(device_.get(), at, &command, sizeof command); !st)
        return in_device(address_, st.error());
    const std::uint16_t wanted = command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (wanted == command) return {};
    if (auto st = vfio::region_write(device_.get(), at, &wanted, sizeof wanted); !st)
        return in_device(address_, st.error());
    return {};
}

Status VfioDevice::arm_msix(std::uint32_t vectors) {
    auto offered = vfio::irq_count(device_.get(), VFIO_PCI_MSIX_IRQ_INDEX);
    if (!offered) return in_device(address_, offered.error());
    if (*offered < vectors)
        return in_device(address_, make_error("device offers " + std::to_string(*offered) +
                                                  " MSI-X vectors, the domain uses " + std::to_string(vectors) +
                                                  " (set vectors= on the QEMU device)",
                                              EINVAL));
    std::vector<sys::UniqueFd> fds;
    std::vector<int> raw;
    for (std::uint32_t v = 0; v < vectors; ++v) {
        auto fd = sys::eventfd_create();
        if (!fd) return in_device(address_, fd.error());
        raw.push_back(fd->get());
        fds.push_back(std::move(*fd));
    }
    if (auto st = vfio::set_irq_eventfds(device_.get(), VFIO_PCI_MSIX_IRQ_INDEX, raw); !st)
        return in_device(address_, st.error());
    eventfds_ = std::move(fds);
    return {};
}

Result<std::uint64_t> VfioDevice::bar_offset(std::uint32_t bar) const {
    auto info = vfio::region_info(device_.get(), VFIO_PCI_BAR0_REGION_INDEX + bar);
    if (!info) return in_device(address_, info.error());
    return static_cast<std::uint64_t>(info->offset);
}

Result<std::uint64_t> VfioDevice::bar_size(std::uint32_t bar) const {
    auto info = vfio::region_info(device_.get(), VFIO_PCI_BAR0_REGION_INDEX + bar);
    if (!info) return in_device(address_, info.error());
    return static_cast<std::uint64_t>(info->size);
}

Result<sys::Mapping> VfioDevice::map_bar(std::uint32_t bar, sys::Protection prot) const {
    auto info = vfio::region_info(device_.get(), VFIO_PCI_BAR0_REGION_INDEX + bar);
    if (!info) return in_device(address_, info.error());
    if (info->size == 0 || (info->flags & VFIO_REGION_INFO_FLAG_MMAP) == 0)
        return in_device(address_, make_error("BAR" + std::to_string(bar) + " region cannot be mmapped", ENOTSUP));
    auto m = sys::map_shared(device_.get(), info->size, prot, info->offset);
    if (!m) return in_device(address_, m.error());
    return std::move(*m);
}

}  // namespace memdomain::pci
