// PCI configuration space of one device, reached through a QtestClient with
// the legacy 0xCF8 (address) / 0xCFC (data) port pair that both the pc and
// q35 machines decode. On a paused machine the firmware never ran, so no BAR
// is placed and no decoding is enabled: the test does what a BIOS and an OS
// driver would, here.
#pragma once

#include <cstdint>
#include <optional>

#include "memdomain/common/result.h"
#include "qtest_client.h"

namespace memdomain::test {

struct PciAddress {
    std::uint8_t bus = 0;
    std::uint8_t device = 0;    // 0..31
    std::uint8_t function = 0;  // 0..7
};

// Standard config-space offsets and bits used here.
inline constexpr std::uint8_t kPciVendorId = 0x00;
inline constexpr std::uint8_t kPciCommand = 0x04;
inline constexpr std::uint8_t kPciStatus = 0x06;
inline constexpr std::uint8_t kPciBar0 = 0x10;
inline constexpr std::uint8_t kPciCapabilityList = 0x34;
inline constexpr std::uint16_t kPciCommandMemory = 1u << 1;
inline constexpr std::uint16_t kPciCommandBusMaster = 1u << 2;
inline constexpr std::uint16_t kPciStatusCapList = 1u << 4;
inline constexpr std::uint8_t kPciCapIdMsix = 0x11;

class QtestPci {
public:
    QtestPci(QtestClient& qtest, PciAddress address) : q_(&qtest), a_(address) {}

    Result<std::uint32_t> read32(std::uint8_t offset);  // offset 4-aligned
    Result<std::uint16_t> read16(std::uint8_t offset);  // offset 2-aligned
    Result<std::uint8_t> read8(std::uint8_t offset);
    Status write32(std::uint8_t offset, std::uint32_t value);
    Status write16(std::uint8_t offset, std::uint16_t value);

    // BAR n's size from the usual all-ones probe (restores the old value).
    // A 64-bit memory BAR (type bits 10b) is probed over both dwords.
    Result<std::uint64_t> bar_size(unsigned bar);
    // Places a 32-bit memory BAR / a 64-bit memory BAR (low dword at
    // 0x10 + 4*bar, high at the next). The low four bits are read-only type
    // bits; the address must be aligned to the BAR's size.
    Status set_bar32(unsigned bar, std::uint32_t address);
    Status set_bar64(unsigned bar, std::uint64_t address);
    // The address a BAR decodes at now (type bits masked off).
    Result<std::uint64_t> bar_address(unsigned bar);

    // Sets bits in the command register (e.g. memory decode, bus master: an
    // MSI is a memory write by the device, so it needs bus mastering).
    Status enable(std::uint16_t command_bits);

    // The offset of the first capability with `id`, walking the list from
    // 0x34; nullopt when the device has none. Errors on a looping list.
    Result<std::optional<std::uint8_t>> find_capability(std::uint8_t id);

private:
    std::uint32_t config_address(std::uint8_t offset) const;
    QtestClient* q_;
    PciAddress a_;
};

// The MSI-X capability of a device and where its table lives.
struct MsixCapability {
    std::uint8_t offset = 0;       // of the capability in config space
    std::uint16_t table_size = 0;  // entries
    std::uint8_t table_bar = 0;    // BIR
    std::uint32_t table_offset = 0;  // within that BAR
};
Result<MsixCapability> read_msix_capability(QtestPci& pci);
// Writes table entry `entry` (16 bytes at table_base + 16*entry: address low,
// address high, data, vector control = 0, i.e. unmasked).
Status program_msix_entry(QtestClient& q, std::uint64_t table_base, unsigned entry, std::uint64_t message_address,
                          std::uint32_t message_data);
// Sets MSI-X Enable (bit 15 of message control at cap + 2) and clears
// Function Mask (bit 14).
Status enable_msix(QtestPci& pci, const MsixCapability& cap);

}  // namespace memdomain::test
