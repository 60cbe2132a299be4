// Finding ivshmem devices (PCI 1af4:1110) under a sysfs root. Scanning only
// reads identity attributes; it never maps or enables anything.
#pragma once

#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "pci/device_model.h"

namespace memdomain::pci {

struct IvshmemDevice {
    std::string address;      // "0000:00:04.0": the name users see in errors
    std::string dir;          // <root>/bus/pci/devices/<address>
    std::string driver;       // basename of the "driver" link; empty when unbound
    std::string iommu_group;  // basename of the "iommu_group" link; empty when none
    IvshmemModel model = IvshmemModel::Doorbell;  // see device_model.h
    std::string model_why;    // the evidence for `model`
};

// "<root>/bus/pci/devices"
std::string pci_devices_dir(const std::string& sysfs_root);

// Every ivshmem device under the root, sorted by address. A missing devices
// directory is an empty list; an entry whose vendor/device cannot be read is
// not an ivshmem device and is skipped.
Result<std::vector<IvshmemDevice>> scan_ivshmem_devices(const std::string& sysfs_root);

}  // namespace memdomain::pci
