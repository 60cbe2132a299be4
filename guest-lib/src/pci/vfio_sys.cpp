// Implementation of vfio_sys.h.
#include "pci/vfio_sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace memdomain::pci::vfio {

Result<sys::UniqueFd> open_container(const std::string& path) {
    sys::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) return sys_error("open " + path);
    int version = ::ioctl(fd.get(), VFIO_GET_API_VERSION);
    if (version != VFIO_API_VERSION)
        return make_error(path + ": VFIO API version " + std::to_string(version) + ", expected " +
                              std::to_string(VFIO_API_VERSION),
                          EPROTO);
    if (::ioctl(fd.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
        return make_error(path + ": no type1 IOMMU support (is vfio_iommu_type1 loaded?)", ENODEV);
    return fd;
}

Result<sys::UniqueFd> open_group(const std::string& path) {
    sys::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) return sys_error("open " + path);
    vfio_group_status status{};
    status.argsz = sizeof status;
    if (::ioctl(fd.get(), VFIO_GROUP_GET_STATUS, &status) != 0) return sys_error("VFIO_GROUP_GET_STATUS " + path);
    if ((status.flags & VFIO_GROUP_FLAGS_VIABLE) == 0)
        return make_error(path + ": group not viable (bind every device in it to vfio-pci)", EBUSY);
    return fd;
}

Status group_set_container(int group_fd, int container_fd) {
    if (::ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd) != 0)
        return sys_error("VFIO_GROUP_SET_CONTAINER");
    return {};
}

Status container_set_iommu_type1(int container_fd) {
    const int type = ::ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? VFIO_TYPE1v2_IOMMU
                                                                                       : VFIO_TYPE1_IOMMU;
    if (::ioctl(container_fd, VFIO_SET_IOMMU, type) != 0) return sys_error("VFIO_SET_IOMMU");
    return {};
}

Result<sys::UniqueFd> group_device_fd(int group_fd, const std::string& pci_address) {
    int fd = ::ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, pci_address.c_str());
    if (fd < 0) return sys_error("VFIO_GROUP_GET_DEVICE_FD " + pci_address);
    // The kernel sets O_CLOEXEC on VFIO device fds only since 5.x; make sure.
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return sys::UniqueFd(fd);
}

Result<vfio_region_info> region_info(int device_fd, std::uint32_t index) {
    vfio_region_info info{};
    info.argsz = sizeof info;
    info.index = index;
    if (::ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &info) != 0)
        return sys_error("VFIO_DEVICE_GET_REGION_INFO " + std::to_string(index));
    return info;
}

Result<std::uint32_t> irq_count(int device_fd, std::uint32_t index) {
    vfio_irq_info info{};
    info.argsz = sizeof info;
    info.index = index;
    if (::ioctl(device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) != 0)
        return sys_error("VFIO_DEVICE_GET_IRQ_INFO " + std::to_string(index));
    return info.count;
}

Status set_irq_eventfds(int device_fd, std::uint32_t index, std::span<const int> fds) {
    // vfio_irq_set ends in a flexible array: allocate it with room for the fds.
    const std::size_t bytes = sizeof(vfio_irq_set) + fds.size() * sizeof(std::int32_t);
    std::vector<std::uint64_t> storage((bytes + 7) / 8);
    auto* set = reinterpret_cast<vfio_irq_set*>(storage.data());
    set->argsz = static_cast<std::uint32_t>(bytes);
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = index;
    set->start = 0;
    set->count = static_cast<std::uint32_t>(fds.size());
    for (std::size_t i = 0; i < fds.size(); ++i) {
        const std::int32_t fd = fds[i];
        std::memcpy(set->data + i * sizeof fd, &fd, sizeof fd);
    }
    if (::ioctl(device_fd, VFIO_DEVICE_SET_IRQS, set) != 0)
        return sys_error("VFIO_DEVICE_SET_IRQS (" + std::to_string(fds.size()) + " eventfds)");
    return {};
}

Status disable_irqs(int device_fd, std::uint32_t index) {
    vfio_irq_set set{};
    set.argsz = sizeof set;
    set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set.index = index;
    set.start = 0;
    set.count = 0;
    if (::ioctl(device_fd, VFIO_DEVICE_SET_IRQS, &set) != 0) return sys_error("VFIO_DEVICE_SET_IRQS (disable)");
    return {};
}

Status region_read(int device_fd, std::uint64_t at, void* out, std::size_t size) {
    ssize_t n;
    do {
        n = ::pread(device_fd, out, size, static_cast<off_t>(at));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("pread vfio region at " + std::to_string(at));
    if (static_cast<std::size_t>(n) != size) return make_error("short pread from vfio region", EIO);
    return {};
}

Status region_write(int device_fd, std::uint64_t at, const void* in, std::size_t size) {
    ssize_t n;
    do {
        n = ::pwrite(device_fd, in, size, static_cast<off_t>(at));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("pwrite vfio region at " + std::to_string(at));
    if (static_cast<std::size_t>(n) != size) return make_error("short pwrite to vfio region", EIO);
    return {};
}

}  // namespace memdomain::pci::vfio
