// detail::open_pci_transport and detail::list_pci_domains: scan the sysfs
// root for ivshmem devices, read which domain each carries, and put a
// domain's segments back together.
//
// Errors, decided once here:
// - no device carries the name: ENOENT (so Transport::Auto can go on), and
//   the message lists every ivshmem device skipped as unreadable or invalid,
//   each by PCI address, so a corrupted header is never silent;
// - a device whose header is invalid but still claims this name, missing or
//   inconsistent segments, unusable registers: the device's error (EINVAL,
//   ENODEV, ...), never ENOENT, because the domain is there but broken;
// - a segment whose header asks for a map address (vaddr) already taken in
//   this process: EEXIST, naming the device, segment and range;
// - list_domains skips invalid devices; list_domains_and_problems lists them
//   with the reason ("not a memdomain: bad magic", "invalid memdomain
//   header: ..."), and open() by name says why one is missing.
// A domain whose segment 0 is on an ivshmem-plain device (device_model.h)
// opens as a read-only observer: no registers, no peer id, no doorbells.
// vfio trouble (group busy, no IOMMU, too few MSI-X vectors) is not an error:
// the domain opens in polling mode; MEMDOMAIN_PCI_DEBUG=1 prints the reason.
// Devices bound to vfio-pci are opened through vfio even to list them: only
// vfio can turn their memory decoding on (sysfs "enable" is EBUSY while a
// driver is bound). A group is open in one process at a time, so an open()
// racing a listing in another process may find it busy and poll instead.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "memdomain/common/ivshmem_protocol.h"
#include "pci/pci_scan.h"
#include "pci/pci_segment.h"
#include "pci/pci_transport.h"
#include "pci/sysfs_file.h"
#include "transport.h"

namespace memdomain::detail {
namespace {

void debug_note(const std::string& what) {
    const char* env = std::getenv("MEMDOMAIN_PCI_DEBUG");
    if (env != nullptr && *env != '\0' && *env != '0') std::fprintf(stderr, "libmemdomain pci: %s\n", what.c_str());
}

// A broken domain must not look like an absent one to Transport::Auto.
Error final_error(Error e) {
    if (e.sys == ENOENT) e.sys = ENODEV;
    return e;
}

std::string describe(const pci::PciSegment& s) {
    return s.device.address + " (segment " + std::to_string(s.header.segment_index) + " of " +
           std::to_string(s.header.segment_count) + ", generation " + std::to_string(s.header.generation) + ")";
}

// Orders a domain's segments by index: all from one instance (same
// generation and count), each index present. Two devices with the same
// segment of the same instance are the same memory: the lower address wins.
Result<std::vector<pci::PciSegment>> assemble(std::string_view name, std::vector<pci::PciSegment> found) {
    const SegmentHeader& first = found.front().header;
    for (const pci::PciSegment& s : found)
        if (s.header.generation != first.generation || s.header.segment_count != first.segment_count)
            return make_error("domain '" + std::string(name) + "': ivshmem devices disagree: " +
                                  describe(found.front()) + " vs " + describe(s),
                              EINVAL);
    std::vector<std::optional<pci::PciSegment>> slots(first.segment_count);
    for (pci::PciSegment& s : found)
        if (!slots[s.header.segment_index]) slots[s.header.segment_index] = std::move(s);
    std::vector<pci::PciSegment> ordered;
    std::string missing, have;
    for (std::uint32_t i = 0; i < slots.size(); ++i) {
        if (slots[i]) {
            have += (have.empty() ? "" : ", ") + std::to_string(i) + " on " + slots[i]->device.address;
            ordered.push_back(std::move(*slots[i]));
        } else {
            missing += (missing.empty() ? "" : ", ") + std::to_string(i);
        }
    }
    if (!missing.empty())
        return make_error("domain '" + std::string(name) + "' has " + std::to_string(slots.size()) +
                              " segments; no ivshmem device carries segment(s) " + missing + " (found " + have + ")",
                          ENODEV);
    return ordered;
}

// Moves every segment whose header has a map_address (the config's "vaddr")
// there. All of their probe mappings go first: the kernel may have put one
// segment's probe where another must go.
Status map_at_required_addresses(std::vector<pci::PciSegment>& segments) {
    for (pci::PciSegment& s : segments)
        if (s.header.map_address != 0) s.memory.reset();
    for (pci::PciSegment& s : segments)
        if (auto st = pci::map_at_header_address(s); !st) return final_error(st.error());
    return {};
}

// Registers and interrupts of the doorbell device (segment 0); no peer id
// and no doorbells for a plain device (a read-only observer).
Result<std::pair<std::optional<PeerId>, InterruptMode>> attach_doorbells(pci::PciSegment& s0) {
    if (s0.device.model == pci::IvshmemModel::Plain) {
        debug_note(s0.device.address + ": ivshmem-plain (" + s0.device.model_why +
                   "): a read-only observer without a peer id or doorbells");
        return std::pair{std::optional<PeerId>{}, InterruptMode::None};
    }
    if (auto st = pci::attach_registers(s0); !st) return final_error(st.error());
    auto pos = s0.registers.read32(ivshmem::kRegIVPosition);
    if (!pos) return final_error(pci::device_error(s0.device, pos.error()));
    if (*pos >= s0.header.max_peers)
        return pci::device_error(s0.device, make_error("IVPosition " + std::to_string(*pos) +
                                                           " is not a peer id below " +
                                                           std::to_string(s0.header.max_peers) +
                                                           " (is its chardev connected to memdomaind?)",
                                                       EPROTO));
    InterruptMode mode = InterruptMode::Polling;
    if (s0.vfio || pci::vfio_available(s0.device)) {
        if (auto st = pci::attach_interrupts(s0, s0.header.vectors))
            mode = InterruptMode::VfioMsix;
        else
            debug_note(st.error().message + "; polling the mailbox instead");
    } else {
        debug_note(s0.device.address + ": driver '" + s0.device.driver + "', not vfio-pci: polling the mailbox");
    }
    return std::pair{std::optional<PeerId>{static_cast<PeerId>(*pos)}, mode};
}

// "not a memdomain: bad magic (...)" and the like, without the device prefix
// (the listing shows the address).
std::string problem_text(const pci::DeviceProbe& p) {
    std::string why = p.error.message;
    const std::string prefix = "ivshmem " + p.device.address + ": ";
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    if (p.not_memdomain)
        return "not a memdomain: bad magic (its shared memory does not start with a MEMDOMN1 header: another use "
               "of ivshmem, or overwritten)";
    if (why.rfind("invalid segment header: ", 0) == 0)
        return "not a usable memdomain: " + why.substr(std::string("invalid segment header: ").size());
    return "cannot read its shared memory: " + why;
}

}  // namespace

Result<std::unique_ptr<Transport>> open_pci_transport(std::string_view name, const OpenOptions& o) {
    const std::string root = pci::resolve_sysfs_root(o.sysfs_root);
    MD_ASSIGN_OR_RETURN(auto devices, pci::scan_ivshmem_devices(root));
    const std::string where = pci::pci_devices_dir(root);
    if (devices.empty())
        return make_error("domain '" + std::string(name) + "': no ivshmem PCI device (1af4:1110) under " + where,
                          ENOENT);
    std::vector<pci::PciSegment> mine;
    std::string skipped;
    for (const pci::IvshmemDevice& d : devices) {
        pci::DeviceProbe p = pci::probe_device(d);
        if (!p.segment) {
            if (p.claimed_name == name) return final_error(std::move(p.error));
            skipped += "; skipped " + p.error.message;
            continue;
        }
        if (header_domain_name(p.segment->header) == name) mine.push_back(std::move(*p.segment));
    }
    if (mine.empty())
        return make_error("domain '" + std::string(name) + "' is on none of the " + std::to_string(devices.size()) +
                              " ivshmem device(s) under " + where + skipped,
                          ENOENT);
    MD_ASSIGN_OR_RETURN(std::vector<pci::PciSegment> segments, assemble(name, std::move(mine)));
    MD_TRY(map_at_required_addresses(segments));
    MD_ASSIGN_OR_RETURN(auto self_and_mode, attach_doorbells(segments.front()));
    return std::unique_ptr<Transport>(std::make_unique<pci::PciTransport>(
        std::string(name), std::move(segments), self_and_mode.first, self_and_mode.second));
}

Result<std::vector<DomainListing>> list_pci_domains(const OpenOptions& o, bool with_problems) {
    const std::string root = pci::resolve_sysfs_root(o.sysfs_root);
    MD_ASSIGN_OR_RETURN(auto devices, pci::scan_ivshmem_devices(root));
    std::vector<DomainListing> out;
    for (const pci::IvshmemDevice& d : devices) {
        pci::DeviceProbe p = pci::probe_device(d);
        if (!p.segment) {
            debug_note("list: " + p.error.message);
            if (!with_problems) continue;
            DomainListing l;
            l.name = p.claimed_name;
            l.transport = TransportKind::Pci;
            l.location = d.address;
            l.problem = problem_text(p);
            out.push_back(std::move(l));
            continue;
        }
        DomainListing l;
        l.name = std::string(header_domain_name(p.segment->header));
        l.transport = TransportKind::Pci;
        l.location = d.address;
        l.segment = p.segment->header.segment_index;
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace memdomain::detail
