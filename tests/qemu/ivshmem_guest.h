// An ivshmem PCI device (1af4:1110) as the guest of a paused QEMU sees it,
// driven through qtest: the test places the BARs, turns on memory decoding and
// bus mastering, and points every MSI-X vector at a word of ordinary guest RAM.
// A delivered doorbell then shows up as that vector's data value in RAM, which
// the test reads back; no guest kernel and no interrupt controller involved.
//
// Layout in guest-physical memory (the machine has at least 32 MiB of RAM):
//   msix_ram + 4*v        the RAM word MSI-X vector v writes (under 32 MiB)
//   bar0 (256 B)          registers: IntrMask, IntrStatus, IVPosition, Doorbell
//   bar1 (4 KiB)          MSI-X table and PBA (doorbell variant only)
//   bar2 (the segment)    the shared memory; must be aligned to its size
// All inside the pc machine's 32-bit PCI hole, away from the IOAPIC/LAPIC.
#pragma once

#include <chrono>
#include <cstdint>

#include "memdomain/common/result.h"
#include "qtest_client.h"
#include "qtest_pci.h"

namespace memdomain::test {

struct IvshmemLayout {
    PciAddress address{0, 4, 0};  // "-device ivshmem-...,addr=04.0"
    std::uint64_t bar0 = 0xc0000000;
    std::uint64_t bar1 = 0xc0001000;
    std::uint64_t bar2 = 0x80000000;  // room for segments up to 1 GiB
    std::uint64_t msix_ram = 0x00100000;
    // MSI-X data for vector v is data_base + v: never 0, so a delivery is
    // told apart from the zeroed RAM.
    std::uint32_t data_base = 0x4d440100;  // "MD" 01 00
};

class IvshmemGuest {
public:
    // Checks the device is 1af4:1110, sizes and places its BARs, enables
    // memory decoding and bus mastering, and when it has MSI-X (doorbell
    // variant) programs and unmasks every vector and enables MSI-X.
    static Result<IvshmemGuest> setup(QtestClient& q, const IvshmemLayout& layout = {});
    // The first ivshmem device on bus 0 (for command lines that do not fix
    // the slot). ENODEV when there is none.
    static Result<PciAddress> find(QtestClient& q);

    QtestClient& qtest() { return *q_; }
    std::uint64_t bar2() const { return layout_.bar2; }
    std::uint64_t bar2_size() const { return bar2_size_; }
    // MSI-X table entries (the device's "vectors" property); 0 for ivshmem-plain.
    unsigned msix_vectors() const { return msix_vectors_; }

    Result<std::uint32_t> iv_position();
    // Writes (peer << 16 | vector) to the Doorbell register.
    Status ring(std::uint32_t peer, std::uint32_t vector);

    std::uint32_t vector_data(unsigned v) const { return layout_.data_base + v; }
    std::uint64_t vector_word_address(unsigned v) const { return layout_.msix_ram + 4ull * v; }
    // The RAM word of vector v: vector_data(v) once delivered, 0 before.
    Result<std::uint32_t> vector_word(unsigned v);
    Status clear_vector_word(unsigned v);
    // Polls vector v's word until it holds vector_data(v) (true) or the
    // timeout passes (false).
    Result<bool> wait_vector(unsigned v, std::chrono::milliseconds timeout);

private:
    IvshmemGuest(QtestClient& q, const IvshmemLayout& l) : q_(&q), layout_(l) {}
    QtestClient* q_;
    IvshmemLayout layout_;
    std::uint64_t bar2_size_ = 0;
    unsigned msix_vectors_ = 0;
};

}  // namespace memdomain::test
