// Implementation of pci_scan.h.
#include "pci/pci_scan.h"

#include "memdomain/common/ivshmem_protocol.h"
#include "pci/sysfs_file.h"

namespace memdomain::pci {

std::string pci_devices_dir(const std::string& sysfs_root) { return sysfs_root + "/bus/pci/devices"; }

Result<std::vector<IvshmemDevice>> scan_ivshmem_devices(const std::string& sysfs_root) {
    const std::string devices = pci_devices_dir(sysfs_root);
    auto entries = list_directory(devices);
    if (!entries) {
        if (entries.error().sys == ENOENT || entries.error().sys == ENOTDIR) return std::vector<IvshmemDevice>{};
        return std::move(entries).error();
    }
    std::vector<IvshmemDevice> found;
    for (const std::string& address : *entries) {
        const std::string dir = devices + "/" + address;
        auto vendor = read_number_attribute(dir + "/vendor");
        auto device = read_number_attribute(dir + "/device");
        if (!vendor || !device || *vendor != ivshmem::kPciVendor || *device != ivshmem::kPciDevice) continue;
        IvshmemDevice d;
        d.address = address;
        d.dir = dir;
        if (auto drv = link_basename(dir + "/driver")) d.driver = *drv;
        if (auto grp = link_basename(dir + "/iommu_group")) d.iommu_group = *grp;
        ModelEvidence m = detect_ivshmem_model(dir);
        d.model = m.model;
        d.model_why = std::move(m.why);
        found.push_back(std::move(d));
    }
    return found;
}

}  // namespace memdomain::pci
