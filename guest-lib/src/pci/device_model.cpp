// Implementation of device_model.h.
#include "pci/device_model.h"

#include <cstdint>
#include <cstdio>

#include "pci/sysfs_file.h"

namespace memdomain::pci {
namespace {

// PCI config space (PCI Local Bus spec 3.0, 6.1 and 6.7).
constexpr std::size_t kStatus = 0x06;
constexpr std::uint16_t kStatusCapList = 0x10;
constexpr std::size_t kCapPointer = 0x34;
constexpr std::size_t kFirstCap = 0x40;  // capabilities live after the standard header
constexpr std::size_t kConfigSize = 256;
constexpr std::uint8_t kCapMsix = 0x11;
// A capability is at least 4 bytes in 192: no honest list is longer.
constexpr int kMaxCaps = 48;

std::uint8_t byte_at(const std::string& c, std::size_t at) { return static_cast<std::uint8_t>(c[at]); }

std::string hex(std::size_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%02zx", v);
    return b;
}

}  // namespace

bool config_has_msix(const std::string& config, bool* has_msix, std::string* why) {
    if (config.size() < kCapPointer + 1) return false;
    const std::uint16_t status = static_cast<std::uint16_t>(byte_at(config, kStatus) | byte_at(config, kStatus + 1) << 8);
    if ((status & kStatusCapList) == 0) {
        *has_msix = false;
        *why = "no capability list in its config space";
        return true;
    }
    std::size_t at = byte_at(config, kCapPointer) & ~std::size_t{3};
    for (int i = 0; i < kMaxCaps && at != 0; ++i) {
        if (at < kFirstCap || at + 1 >= kConfigSize) break;  // a corrupt pointer ends the walk
        if (at + 1 >= config.size()) return false;           // beyond what we could read
        if (byte_at(config, at) == kCapMsix) {
            *has_msix = true;
            *why = "MSI-X capability at " + hex(at);
            return true;
        }
        at = byte_at(config, at + 1) & ~std::size_t{3};
    }
    *has_msix = false;
    *why = "no MSI-X capability in its config space";
    return true;
}

ModelEvidence detect_ivshmem_model(const std::string& dir) {
    ModelEvidence e;
    if (auto config = read_leading_bytes(dir + "/config", kConfigSize)) {
        bool msix = false;
        if (config_has_msix(*config, &msix, &e.why)) {
            e.model = msix ? IvshmemModel::Doorbell : IvshmemModel::Plain;
            return e;
        }
    }
    if (path_exists(dir + "/resource1")) {
        e.model = IvshmemModel::Doorbell;
        e.why = "BAR1 (the MSI-X table) is present";
        return e;
    }
    if (path_exists(dir + "/config")) {
        e.model = IvshmemModel::Plain;
        e.why = "no BAR1 (no MSI-X table)";
        return e;
    }
    e.model = IvshmemModel::Doorbell;
    e.why = "no config space or BAR1 information: assumed ivshmem-doorbell";
    return e;
}

}  // namespace memdomain::pci
