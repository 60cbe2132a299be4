// One ivshmem device seen as one segment of a domain: its memory BAR (BAR2)
// mapped and its header validated, and for the device that carries a
// domain's doorbells also its registers (BAR0) and, when the device is bound
// to vfio-pci, its MSI-X interrupts.
//
// Nothing here trusts the device: the header is validated (a read-write peer
// anywhere on the host can scribble on it), BAR sizes come from the kernel,
// and every error names the device ("ivshmem 0000:00:04.0: ...").
#pragma once

#include <optional>
#include <string>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"
#include "pci/bar0_registers.h"
#include "pci/pci_scan.h"
#include "pci/vfio_device.h"

namespace memdomain::pci {

struct PciSegment {
    IvshmemDevice device;
    sys::Mapping memory;   // the whole BAR2; only the segment once map_at_header_address moved it
    // Where `memory` came from, so that it can be mapped again elsewhere:
    // the resource file, or empty for BAR2 through the vfio device.
    std::string memory_path;
    bool memory_writable = false;  // the source was opened (or is mapped) read-write
    SegmentHeader header;  // validated copy: every offset used later comes from here
    Access access = Access::ReadOnly;
    // Declared before `registers`, which may read and write through its fd.
    std::optional<VfioDevice> vfio;
    Bar0Registers registers;  // invalid until attach_registers
};

// What probing one device found: a segment with a valid header, or an error
// naming the device plus the name its header claims when that much is
// readable (so open(name) can tell "not this domain" from "this domain, broken").
struct DeviceProbe {
    IvshmemDevice device;
    std::optional<PciSegment> segment;
    Error error;
    std::string claimed_name;
    bool not_memdomain = false;  // BAR2 does not start with the magic: some other use of ivshmem
};

// Makes the device decode memory (writes "enable" when no driver is bound;
// opens it through vfio when it is bound to vfio-pci, and keeps it open),
// maps BAR2 (resource2_wc, else resource2, else through vfio; read-only for
// an ivshmem-plain device, whose writes the host drops) and validates the
// header.
DeviceProbe probe_device(const IvshmemDevice& device);

// When the header has a map_address (the config's "vaddr"): maps the
// segment (header.segment_size bytes of BAR2, from the same source as the
// probe) exactly there, replacing `memory`. Release the probe mapping of
// every segment of the domain first (memory.reset()): one of them may sit
// in the range. Nothing to do without a map_address. Errors: EEXIST when
// the range is taken in this process, else the system error; each names
// the device, the domain, the segment and the range.
Status map_at_header_address(PciSegment& segment);

// Maps BAR0 (resource0, else through vfio) for IVPosition and Doorbell.
Status attach_registers(PciSegment& segment);
// When the device is bound to vfio-pci: bus master on, one eventfd per
// MSI-X vector. Errors leave the segment usable in polling mode.
Status attach_interrupts(PciSegment& segment, std::uint32_t vectors);

// "ivshmem 0000:00:04.0: <message>", keeping errno.
Error device_error(const IvshmemDevice& device, Error e);

}  // namespace memdomain::pci
