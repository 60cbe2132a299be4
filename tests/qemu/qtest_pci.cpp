// Config-space access and the BAR / MSI-X chores a firmware and a driver do.
#include "qtest_pci.h"

#include <cerrno>
#include <string>

namespace memdomain::test {
namespace {

constexpr std::uint16_t kConfigAddress = 0xcf8;
constexpr std::uint16_t kConfigData = 0xcfc;
constexpr std::uint32_t kBarTypeMask = 0x6;  // memory BAR bits 2:1
constexpr std::uint32_t kBarType64 = 0x4;
constexpr std::uint32_t kBarIo = 0x1;

}  // namespace

std::uint32_t QtestPci::config_address(std::uint8_t offset) const {
    return 0x80000000u | std::uint32_t{a_.bus} << 16 | std::uint32_t{a_.device & 31u} << 11 |
           std::uint32_t{a_.function & 7u} << 8 | (offset & 0xfcu);
}

Result<std::uint32_t> QtestPci::read32(std::uint8_t offset) {
    MD_TRY(q_->outl(kConfigAddress, config_address(offset)));
    return q_->inl(kConfigData);
}

Result<std::uint16_t> QtestPci::read16(std::uint8_t offset) {
    MD_TRY(q_->outl(kConfigAddress, config_address(offset)));
    return q_->inw(static_cast<std::uint16_t>(kConfigData + (offset & 2)));
}

Result<std::uint8_t> QtestPci::read8(std::uint8_t offset) {
    MD_TRY(q_->outl(kConfigAddress, config_address(offset)));
    return q_->inb(static_cast<std::uint16_t>(kConfigData + (offset & 3)));
}

Status QtestPci::write32(std::uint8_t offset, std::uint32_t value) {
    MD_TRY(q_->outl(kConfigAddress, config_address(offset)));
    return q_->outl(kConfigData, value);
}

Status QtestPci::write16(std::uint8_t offset, std::uint16_t value) {
    MD_TRY(q_->outl(kConfigAddress, config_address(offset)));
    return q_->outw(static_cast<std::uint16_t>(kConfigData + (offset & 2)), value);
}

Result<std::uint64_t> QtestPci::bar_size(unsigned bar) {
    if (bar > 5) return make_error("BAR index " + std::to_string(bar) + " out of range", EINVAL);
    const auto off = static_cast<std::uint8_t>(kPciBar0 + 4 * bar);
    MD_ASSIGN_OR_RETURN(std::uint32_t old_lo, read32(off));
    if (old_lo & kBarIo) return make_error("BAR " + std::to_string(bar) + " is an I/O BAR", EINVAL);
    const bool is64 = (old_lo & kBarTypeMask) == kBarType64;
    std::uint32_t old_hi = 0;
    if (is64) {
        if (bar == 5) return make_error("64-bit BAR 5 has no high dword", EPROTO);
        MD_ASSIGN_OR_RETURN(old_hi, read32(static_cast<std::uint8_t>(off + 4)));
    }
    MD_TRY(write32(off, 0xffffffffu));
    MD_ASSIGN_OR_RETURN(std::uint32_t lo, read32(off));
    MD_TRY(write32(off, old_lo));
    std::uint64_t mask = lo & ~0xfull;
    if (is64) {
        const auto hi_off = static_cast<std::uint8_t>(off + 4);
        MD_TRY(write32(hi_off, 0xffffffffu));
        MD_ASSIGN_OR_RETURN(std::uint32_t hi, read32(hi_off));
        MD_TRY(write32(hi_off, old_hi));
        mask |= std::uint64_t{hi} << 32;
    } else if (mask != 0) {
        mask |= 0xffffffff00000000ull;  // a 32-bit BAR decodes nothing above 4 GiB
    }
    if (mask == 0) return std::uint64_t{0};  // BAR not implemented
    return ~mask + 1;
}

Status QtestPci::set_bar32(unsigned bar, std::uint32_t address) {
    if (bar > 5) return make_error("BAR index " + std::to_string(bar) + " out of range", EINVAL);
    return write32(static_cast<std::uint8_t>(kPciBar0 + 4 * bar), address);
}

Status QtestPci::set_bar64(unsigned bar, std::uint64_t address) {
    if (bar > 4) return make_error("64-bit BAR index " + std::to_string(bar) + " out of range", EINVAL);
    const auto off = static_cast<std::uint8_t>(kPciBar0 + 4 * bar);
    MD_ASSIGN_OR_RETURN(std::uint32_t lo, read32(off));
    if ((lo & kBarTypeMask) != kBarType64 || (lo & kBarIo))
        return make_error("BAR " + std::to_string(bar) + " is not a 64-bit memory BAR (low dword " +
                              std::to_string(lo) + ")",
                          EINVAL);
    MD_TRY(write32(static_cast<std::uint8_t>(off + 4), static_cast<std::uint32_t>(address >> 32)));
    return write32(off, static_cast<std::uint32_t>(address));
}

Result<std::uint64_t> QtestPci::bar_address(unsigned bar) {
    if (bar > 5) return make_error("BAR index " + std::to_string(bar) + " out of range", EINVAL);
    const auto off = static_cast<std::uint8_t>(kPciBar0 + 4 * bar);
    MD_ASSIGN_OR_RETURN(std::uint32_t lo, read32(off));
    std::uint64_t addr = lo & ~0xfu;
    if ((lo & kBarTypeMask) == kBarType64 && bar < 5) {
        MD_ASSIGN_OR_RETURN(std::uint32_t hi, read32(static_cast<std::uint8_t>(off + 4)));
        addr |= std::uint64_t{hi} << 32;
    }
    return addr;
}

Status QtestPci::enable(std::uint16_t bits) {
    MD_ASSIGN_OR_RETURN(std::uint16_t cmd, read16(kPciCommand));
    return write16(kPciCommand, static_cast<std::uint16_t>(cmd | bits));
}

Result<std::optional<std::uint8_t>> QtestPci::find_capability(std::uint8_t id) {
    MD_ASSIGN_OR_RETURN(std::uint16_t status, read16(kPciStatus));
    if (!(status & kPciStatusCapList)) return std::optional<std::uint8_t>{};
    MD_ASSIGN_OR_RETURN(std::uint8_t ptr, read8(kPciCapabilityList));
    // At most 48 capabilities fit in 192 bytes: more hops means a loop.
    for (int hops = 0; ptr != 0; ++hops) {
        if (hops > 48 || ptr < 0x40) return make_error("malformed PCI capability list", EPROTO);
        ptr &= 0xfc;
        MD_ASSIGN_OR_RETURN(std::uint8_t cap_id, read8(ptr));
        if (cap_id == id) return std::optional<std::uint8_t>(ptr);
        MD_ASSIGN_OR_RETURN(ptr, read8(static_cast<std::uint8_t>(ptr + 1)));
    }
    return std::optional<std::uint8_t>{};
}

Result<MsixCapability> read_msix_capability(QtestPci& pci) {
    MD_ASSIGN_OR_RETURN(std::optional<std::uint8_t> off, pci.find_capability(kPciCapIdMsix));
    if (!off) return make_error("device has no MSI-X capability", ENOENT);
    MsixCapability c;
    c.offset = *off;
    MD_ASSIGN_OR_RETURN(std::uint16_t control, pci.read16(static_cast<std::uint8_t>(*off + 2)));
    MD_ASSIGN_OR_RETURN(std::uint32_t table, pci.read32(static_cast<std::uint8_t>(*off + 4)));
    c.table_size = static_cast<std::uint16_t>((control & 0x7ff) + 1);
    c.table_bar = static_cast<std::uint8_t>(table & 7);
    c.table_offset = table & ~7u;
    return c;
}

Status program_msix_entry(QtestClient& q, std::uint64_t table_base, unsigned entry, std::uint64_t message_address,
                          std::uint32_t message_data) {
    const std::uint64_t e = table_base + 16ull * entry;
    MD_TRY(q.writel(e + 0, static_cast<std::uint32_t>(message_address)));
    MD_TRY(q.writel(e + 4, static_cast<std::uint32_t>(message_address >> 32)));
    MD_TRY(q.writel(e + 8, message_data));
    return q.writel(e + 12, 0);  // vector control: bit 0 clear = unmasked
}

Status enable_msix(QtestPci& pci, const MsixCapability& cap) {
    const auto off = static_cast<std::uint8_t>(cap.offset + 2);
    MD_ASSIGN_OR_RETURN(std::uint16_t control, pci.read16(off));
    control = static_cast<std::uint16_t>((control | 0x8000u) & ~0x4000u);
    return pci.write16(off, control);
}

}  // namespace memdomain::test
