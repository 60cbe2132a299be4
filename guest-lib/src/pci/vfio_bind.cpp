// Implementation of vfio_bind.h.
#include "pci/vfio_bind.h"

#include "pci/pci_scan.h"
#include "pci/sysfs_file.h"

namespace memdomain::pci {
namespace {

Error step_error(const std::string& address, const std::string& step, const Error& e) {
    return make_error("bind " + address + " to vfio-pci: " + step + ": " + e.message, e.sys);
}

}  // namespace

Status bind_to_vfio_pci(const std::string& sysfs_root, const std::string& address) {
    const std::string dir = pci_devices_dir(sysfs_root) + "/" + address;
    if (!path_exists(dir)) return make_error("bind " + address + " to vfio-pci: no such device " + dir, ENOENT);
    auto current = link_basename(dir + "/driver");
    if (current && *current == "vfio-pci") return {};

    if (auto st = write_attribute(dir + "/driver_override", "vfio-pci"); !st)
        return step_error(address, "set driver_override", st.error());
    if (current) {
        if (auto st = write_attribute(dir + "/driver/unbind", address); !st)
            return step_error(address, "unbind from " + *current, st.error());
    }
    // drivers_probe fails (ENODEV/EINVAL) when no driver takes the device;
    // the check below says so in words.
    auto probed = write_attribute(sysfs_root + "/bus/pci/drivers_probe", address);
    auto now = link_basename(dir + "/driver");
    if (now && *now == "vfio-pci") return {};
    const bool loaded = path_exists(sysfs_root + "/bus/pci/drivers/vfio-pci");
    std::string why = now ? "bound to " + *now + " instead" : "left without a driver";
    if (!loaded) why += " (vfio-pci is not loaded: modprobe vfio-pci)";
    if (!probed) why += "; drivers_probe: " + probed.error().message;
    return make_error("bind " + address + " to vfio-pci: " + why, ENODEV);
}

Result<std::vector<std::string>> bind_all_ivshmem_to_vfio_pci(const std::string& sysfs_root) {
    MD_ASSIGN_OR_RETURN(auto devices, scan_ivshmem_devices(sysfs_root));
    std::vector<std::string> bound;
    for (const IvshmemDevice& d : devices) {
        MD_TRY(bind_to_vfio_pci(sysfs_root, d.address));
        bound.push_back(d.address);
    }
    return bound;
}

}  // namespace memdomain::pci
