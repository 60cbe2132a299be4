// VFIO system calls (ioctls on /dev/vfio/*, pread/pwrite on a device fd),
// wrapped once. Used only by vfio_device.*, which strings them together.
//
// The order the kernel wants (Documentation/driver-api/vfio.rst): open the
// container, open the group, check the group is viable, attach the group to
// the container, only then choose the IOMMU type, then get the device fd.
#pragma once

#include <linux/vfio.h>

#include <cstdint>
#include <span>
#include <string>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::pci::vfio {

inline constexpr const char* kContainerPath = "/dev/vfio/vfio";
inline constexpr const char* kGroupDir = "/dev/vfio";

// Opens the container and checks the API version and type1 support.
Result<sys::UniqueFd> open_container(const std::string& path = kContainerPath);
// Opens a group and checks it is viable (every device in it bound to vfio).
Result<sys::UniqueFd> open_group(const std::string& path);
Status group_set_container(int group_fd, int container_fd);
// VFIO_SET_IOMMU with type1v2 when offered, else type1.
Status container_set_iommu_type1(int container_fd);
Result<sys::UniqueFd> group_device_fd(int group_fd, const std::string& pci_address);

Result<vfio_region_info> region_info(int device_fd, std::uint32_t index);
// Number of interrupts offered at an IRQ index (0 when the index is unused).
Result<std::uint32_t> irq_count(int device_fd, std::uint32_t index);
// VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER | DATA_EVENTFD, vectors 0..fds.size()-1.
Status set_irq_eventfds(int device_fd, std::uint32_t index, std::span<const int> fds);
// VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER | DATA_NONE, count 0: disables the index.
Status disable_irqs(int device_fd, std::uint32_t index);

// Region access through the device fd (region offset + offset within).
Status region_read(int device_fd, std::uint64_t at, void* out, std::size_t size);
Status region_write(int device_fd, std::uint64_t at, const void* in, std::size_t size);

}  // namespace memdomain::pci::vfio
