// Implementation of pci_segment.h.
#include "pci/pci_segment.h"

#include <fcntl.h>

#include <cstring>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/names.h"
#include "pci/sysfs_file.h"
#include "segment_mapping.h"

namespace memdomain::pci {
namespace {

// Turns on memory decoding: a BAR read before that returns all-ones.
Status enable_device(const IvshmemDevice& d) {
    const std::string path = d.dir + "/enable";
    if (!path_exists(path)) return {};
    MD_ASSIGN_OR_RETURN(std::uint64_t enabled, read_number_attribute(path));
    if (enabled != 0) return {};
    return write_attribute(path, "1");
}

struct FileMapping {
    sys::Mapping map;
    bool writable = false;
};

// Maps a whole resource file, read-write when we may write it and want to.
Result<FileMapping> map_resource_file(const std::string& path, bool want_write = true) {
    MD_ASSIGN_OR_RETURN(std::uint64_t size, file_size(path));
    if (size == 0) return make_error(path + " is empty (BAR not assigned?)", ENXIO);
    FileMapping fm;
    auto fd = want_write ? open_path(path, O_RDWR) : open_path(path, O_RDONLY);
    if (!fd && want_write && (fd.error().sys == EACCES || fd.error().sys == EROFS || fd.error().sys == EPERM)) {
        fd = open_path(path, O_RDONLY);
    } else if (fd) {
        fm.writable = want_write;
    }
    if (!fd) return std::move(fd).error();
    auto m = sys::map_shared(fd->get(), size, fm.writable ? sys::Protection::ReadWrite : sys::Protection::ReadOnly);
    if (!m) return make_error("mmap " + path + ": " + m.error().message, m.error().sys);
    fm.map = std::move(*m);
    return fm;
}

// The name a header claims, if it is a valid name, without trusting the rest.
std::string peek_domain_name(const sys::Mapping& m) {
    if (m.size() < offsetof(SegmentHeader, domain_name) + sizeof(SegmentHeader::domain_name)) return {};
    char name[sizeof(SegmentHeader::domain_name)];
    std::memcpy(name, m.bytes() + offsetof(SegmentHeader, domain_name), sizeof name);
    if (std::memchr(name, '\0', sizeof name) == nullptr) return {};
    if (!validate_domain_name(name)) return {};
    return name;
}

}  // namespace

Error device_error(const IvshmemDevice& device, Error e) {
    e.message = "ivshmem " + device.address + ": " + e.message;
    return e;
}

DeviceProbe probe_device(const IvshmemDevice& device) {
    DeviceProbe p;
    p.device = device;
    std::string vfio_trouble;
    auto fail = [&](Error e) {
        if (!vfio_trouble.empty()) e.message += " (" + vfio_trouble + ")";
        p.error = device_error(device, std::move(e));
        return std::move(p);
    };
    PciSegment seg;
    seg.device = device;
    if (vfio_available(device)) {
        // sysfs refuses "enable" while a driver is bound (EBUSY); vfio-pci
        // enables the device when it is opened. If the group is busy, the
        // process holding it has enabled it.
        if (auto v = VfioDevice::open(device))
            seg.vfio = std::move(*v);
        else
            vfio_trouble = v.error().message;
    } else if (device.driver.empty()) {
        if (auto st = enable_device(device); !st) return fail(st.error());
    }

    bool writable = false;
    const std::string wc = device.dir + "/resource2_wc";
    const std::string resource2 = path_exists(wc) ? wc : device.dir + "/resource2";
    // A plain device is the read-only attach: the host drops the guest's
    // writes without a fault, so map it read-only and let a stray write
    // fault here rather than vanish.
    const bool plain = device.model == IvshmemModel::Plain;
    auto fm = map_resource_file(resource2, !plain);
    if (fm) {
        seg.memory = std::move(fm->map);
        writable = fm->writable;
        seg.memory_path = resource2;
    } else if (seg.vfio) {
        // With IO_STRICT_DEVMEM sysfs refuses to map a BAR that vfio-pci has
        // claimed: go through the vfio device instead.
        auto m = seg.vfio->map_bar(2, plain ? sys::Protection::ReadOnly : sys::Protection::ReadWrite);
        if (!m) return fail(make_error(fm.error().message + "; " + m.error().message, fm.error().sys));
        seg.memory = std::move(*m);
        writable = !plain;
    } else {
        return fail(fm.error());
    }

    auto header = validate_segment_header(seg.memory.data(), seg.memory.size());
    if (!header) {
        p.claimed_name = peek_domain_name(seg.memory);
        p.not_memdomain = seg.memory.size() < sizeof kSegmentMagic ||
                          std::memcmp(seg.memory.data(), kSegmentMagic, sizeof kSegmentMagic) != 0;
        return fail(header.error());
    }
    seg.header = *header;
    seg.memory_writable = writable;
    const bool read_write = header->access == static_cast<std::uint32_t>(SegmentAccess::ReadWrite) && writable;
    seg.access = read_write ? Access::ReadWrite : Access::ReadOnly;
    p.segment = std::move(seg);
    return p;
}

Status map_at_header_address(PciSegment& s) {
    if (s.header.map_address == 0) return {};
    s.memory.reset();
    const bool want_write = s.access == Access::ReadWrite;
    bool writable = false;
    Result<sys::Mapping> m = make_error("not mapped");
    if (!s.memory_path.empty()) {
        auto fd = open_path(s.memory_path, s.memory_writable ? O_RDWR : O_RDONLY);
        if (!fd) return device_error(s.device, std::move(fd).error());
        m = detail::map_segment_at_best(fd->get(), want_write, 0, s.header, &writable);
    } else {
        if (!s.vfio) return device_error(s.device, make_error("BAR2 was mapped through vfio, now closed", ENODEV));
        auto off = s.vfio->bar_offset(2);
        if (!off) return device_error(s.device, std::move(off).error());
        m = detail::map_segment_at_best(s.vfio->device_fd(), want_write, *off, s.header, &writable);
    }
    if (!m) return device_error(s.device, std::move(m).error());
    s.memory = std::move(*m);
    if (!writable) s.access = Access::ReadOnly;
    return {};
}

Status attach_registers(PciSegment& s) {
    const std::string path = s.device.dir + "/resource0";
    auto fm = map_resource_file(path);
    if (fm && fm->map.size() >= ivshmem::kRegDoorbell + 4) {
        s.registers = Bar0Registers(std::move(fm->map));
        return {};
    }
    Error why = fm ? make_error(path + ": " + std::to_string(fm->map.size()) + " bytes, too small for the "
                                       "ivshmem registers", EINVAL)
                   : fm.error();
    if (!s.vfio && vfio_available(s.device)) {
        auto v = VfioDevice::open(s.device);
        if (v) s.vfio = std::move(*v);
    }
    if (!s.vfio) return device_error(s.device, std::move(why));
    if (auto m = s.vfio->map_bar(0, sys::Protection::ReadWrite); m && m->size() >= ivshmem::kRegDoorbell + 4) {
        s.registers = Bar0Registers(std::move(*m));
        return {};
    }
    auto off = s.vfio->bar_offset(0);
    if (!off) return device_error(s.device, make_error(why.message + "; " + off.error().message, why.sys));
    s.registers = Bar0Registers(s.vfio->device_fd(), *off);
    return {};
}

Status attach_interrupts(PciSegment& s, std::uint32_t vectors) {
    if (!s.vfio) {
        if (!vfio_available(s.device)) return make_error("ivshmem " + s.device.address + ": not bound to vfio-pci", ENODEV);
        MD_ASSIGN_OR_RETURN(VfioDevice v, VfioDevice::open(s.device));
        s.vfio = std::move(v);
    }
    MD_TRY(s.vfio->enable_bus_master());
    MD_TRY(s.vfio->arm_msix(vectors));
    return {};
}

}  // namespace memdomain::pci
