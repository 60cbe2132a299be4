// What a BIOS plus a tiny driver would do for an ivshmem device, in qtest.
#include "ivshmem_guest.h"

#include <thread>

#include "memdomain/common/ivshmem_protocol.h"

namespace memdomain::test {

Result<IvshmemGuest> IvshmemGuest::setup(QtestClient& q, const IvshmemLayout& layout) {
    IvshmemGuest g(q, layout);
    QtestPci pci(q, layout.address);
    MD_ASSIGN_OR_RETURN(std::uint32_t ids, pci.read32(kPciVendorId));
    if ((ids & 0xffff) != ivshmem::kPciVendor || (ids >> 16) != ivshmem::kPciDevice)
        return make_error("device at 00:" + std::to_string(layout.address.device) + ".0 has ids " +
                              std::to_string(ids & 0xffff) + ":" + std::to_string(ids >> 16) +
                              ", not ivshmem 1af4:1110",
                          ENODEV);

    MD_ASSIGN_OR_RETURN(std::uint64_t bar0_size, pci.bar_size(0));
    if (bar0_size != ivshmem::kBar0Size)
        return make_error("ivshmem BAR0 is " + std::to_string(bar0_size) + " bytes, expected 256", EPROTO);
    MD_ASSIGN_OR_RETURN(g.bar2_size_, pci.bar_size(2));
    // Bigger than 1 GiB would run into BAR0/BAR1 and the IOAPIC at the default layout.
    if (g.bar2_size_ == 0 || layout.bar2 % g.bar2_size_ != 0 || layout.bar2 + g.bar2_size_ > layout.bar0)
        return make_error("BAR2 of " + std::to_string(g.bar2_size_) + " bytes cannot be placed at " +
                              std::to_string(layout.bar2),
                          EINVAL);
    MD_TRY(pci.set_bar32(0, static_cast<std::uint32_t>(layout.bar0)));
    MD_TRY(pci.set_bar64(2, layout.bar2));

    MD_ASSIGN_OR_RETURN(std::optional<std::uint8_t> msix, pci.find_capability(kPciCapIdMsix));
    if (msix) {
        MD_ASSIGN_OR_RETURN(MsixCapability cap, read_msix_capability(pci));
        if (cap.table_bar != 1) return make_error("ivshmem MSI-X table is not in BAR1", EPROTO);
        MD_TRY(pci.set_bar32(1, static_cast<std::uint32_t>(layout.bar1)));
        g.msix_vectors_ = cap.table_size;
        // Decoding must be on before the table (in BAR1) can be written.
        MD_TRY(pci.enable(kPciCommandMemory | kPciCommandBusMaster));
        for (unsigned v = 0; v < cap.table_size; ++v) {
            MD_TRY(g.clear_vector_word(v));
            MD_TRY(program_msix_entry(q, layout.bar1 + cap.table_offset, v, g.vector_word_address(v),
                                      g.vector_data(v)));
        }
        MD_TRY(enable_msix(pci, cap));
    } else {
        MD_TRY(pci.enable(kPciCommandMemory | kPciCommandBusMaster));
    }
    return g;
}

Result<PciAddress> IvshmemGuest::find(QtestClient& q) {
    for (std::uint8_t dev = 0; dev < 32; ++dev) {
        QtestPci pci(q, PciAddress{0, dev, 0});
        MD_ASSIGN_OR_RETURN(std::uint32_t ids, pci.read32(kPciVendorId));
        if ((ids & 0xffff) == ivshmem::kPciVendor && (ids >> 16) == ivshmem::kPciDevice) return PciAddress{0, dev, 0};
    }
    return make_error("no ivshmem device (1af4:1110) on PCI bus 0", ENODEV);
}

Result<std::uint32_t> IvshmemGuest::iv_position() { return q_->readl(layout_.bar0 + ivshmem::kRegIVPosition); }

Status IvshmemGuest::ring(std::uint32_t peer, std::uint32_t vector) {
    return q_->writel(layout_.bar0 + ivshmem::kRegDoorbell, ivshmem::doorbell_value(peer, vector));
}

Result<std::uint32_t> IvshmemGuest::vector_word(unsigned v) { return q_->readl(vector_word_address(v)); }

Status IvshmemGuest::clear_vector_word(unsigned v) { return q_->writel(vector_word_address(v), 0); }

Result<bool> IvshmemGuest::wait_vector(unsigned v, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::uint32_t w, vector_word(v));
        if (w == vector_data(v)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

}  // namespace memdomain::test
