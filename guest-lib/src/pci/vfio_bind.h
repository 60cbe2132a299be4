// Handing an ivshmem device to vfio-pci from inside a guest, so that
// libmemdomain gets MSI-X interrupts instead of polling. The kernel's way:
// write "vfio-pci" to the device's driver_override, unbind it from its
// current driver (if any), then ask the bus to probe it again.
// Needs root and the vfio-pci module loaded (see vfio_device.h for the rest).
#pragma once

#include <string>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::pci {

// Binds one device ("0000:00:04.0") under `sysfs_root` ("/sys" normally).
// Already bound to vfio-pci: nothing to do. Errors name the device and the
// step that failed; ENODEV when the device ends up on another driver.
Status bind_to_vfio_pci(const std::string& sysfs_root, const std::string& address);

// Binds every ivshmem device under the root; returns their addresses.
Result<std::vector<std::string>> bind_all_ivshmem_to_vfio_pci(const std::string& sysfs_root);

}  // namespace memdomain::pci
