// Which of QEMU's two ivshmem devices a PCI function is.
//
// ivshmem-doorbell and ivshmem-plain look alike on the bus: the same vendor
// and device id (1af4:1110), revision 1, class 0x0500 (RAM), BAR0 with the
// four registers, BAR2 with the memory. Only the doorbell device has
// interrupts: an MSI-X capability in its config space whose table is in
// BAR1. A plain device has neither, and its IVPosition register reads 0 (a
// real peer's id, not ours); it is how a read-only VM attaches
// (memory-backend-file,readonly=on + ivshmem-plain), so the guest must
// treat it as a read-only observer without a peer id.
//
// The decision, strongest evidence first:
//   1. the config space, when it can be read past its first 64 bytes
//      (unprivileged reads stop there and capabilities live beyond): an
//      MSI-X capability (id 0x11) or not;
//   2. else BAR1: a "resource1" file exists only for a BAR with a size;
//   3. else, when nothing says anything (a test tree without config or
//      resource files), a doorbell device, as before plain was recognised.
#pragma once

#include <string>

namespace memdomain::pci {

enum class IvshmemModel { Doorbell, Plain };

struct ModelEvidence {
    IvshmemModel model = IvshmemModel::Doorbell;
    std::string why;  // "MSI-X capability at 0x40", "no BAR1", ...: for messages and --debug
};

// Reads <device_dir>/config and <device_dir>/resource1.
ModelEvidence detect_ivshmem_model(const std::string& device_dir);

// The walk of step 1 on config-space bytes, exposed for tests. Returns
// false when the bytes do not reach far enough to decide.
bool config_has_msix(const std::string& config, bool* has_msix, std::string* why);

}  // namespace memdomain::pci
