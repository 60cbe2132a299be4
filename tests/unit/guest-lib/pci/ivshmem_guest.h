// A stand-in for QEMU's side of one ivshmem-doorbell device, for pci
// transport tests: a raw ivshmem client of a real memdomaind (it gets a peer
// id, the segment's memfd and its eventfds exactly as QEMU would), plus the
// sysfs-shaped device directory a guest kernel would show for it:
//
//   <root>/bus/pci/devices/<address>/
//       vendor "0x1af4\n", device "0x1110\n", enable "0\n"
//       config     256 bytes of PCI config space as QEMU 7.2 builds it:
//                  ivshmem-doorbell has an MSI-X capability (id 0x11) at
//                  0x40, ivshmem-plain no capability list at all
//       resource0  256-byte regular file: the registers (IVPosition = our id)
//       resource1  ivshmem-doorbell only: its MSI-X table BAR (4 KiB)
//       resource2  symlink to /proc/<test pid>/fd/<memfd>: the shared memory
//
// The memfd and the socket stay open as long as the object lives, so the
// server keeps this "guest" in its presence table.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/memory.h"

namespace memdomain::test {

class IvshmemGuest {
public:
    // Connects to `socket_path` and runs the initial burst. On failure,
    // error() says why and everything else is empty.
    explicit IvshmemGuest(const std::string& socket_path,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::uint32_t id() const { return id_; }
    int memfd() const { return memfd_.get(); }
    std::uint64_t memfd_size() const { return size_; }
    // A mapping of the whole segment (what a host-side test looks through).
    std::byte* memory() const { return map_.bytes(); }
    SegmentHeader* live_header() const { return reinterpret_cast<SegmentHeader*>(map_.bytes()); }
    const SegmentHeader& header() const { return header_; }  // validated at connect
    std::uint64_t mailbox(std::uint32_t peer, std::uint32_t vector) const;

    // Hang up: the server announces this peer as gone.
    void disconnect() { socket_.reset(); }

private:
    std::string error_;
    sys::UniqueFd socket_;
    sys::UniqueFd memfd_;
    sys::Mapping map_;
    SegmentHeader header_{};
    std::uint64_t size_ = 0;
    std::uint32_t id_ = 0;
    std::vector<sys::UniqueFd> own_fds_;
    std::map<std::uint32_t, std::vector<sys::UniqueFd>> peer_fds_;
};

// A sysfs root in a temporary directory holding ivshmem-shaped devices.
class FakeSysfs {
public:
    explicit FakeSysfs(const std::string& root);
    const std::string& root() const { return root_; }
    std::string device_dir(const std::string& address) const;
    // Creates a device directory with vendor/device/enable files and nothing else.
    std::string add_bare_device(const std::string& address, const std::string& vendor = "0x1af4",
                                const std::string& device = "0x1110");
    // A complete device backed by `guest`: resource2 -> its memfd, resource0
    // with IVPosition = its id.
    std::string add_device(const std::string& address, const IvshmemGuest& guest);
    // A complete device backed by any memfd (e.g. one whose header the test
    // wrote itself): resource2 -> `memfd`, resource0 with IVPosition =
    // `iv_position`. The memfd must stay open while the device is used.
    std::string add_memory_device(const std::string& address, int memfd, std::uint32_t iv_position);
    // An ivshmem-plain device on `memfd` (the read-only VM attach): no
    // MSI-X capability, no BAR1, and IVPosition 0 as QEMU shows it.
    // `memfd` may be O_RDONLY.
    std::string add_plain_device(const std::string& address, int memfd);
    // The config space file alone: `msix` says whether it has the MSI-X
    // capability; `size` truncates it (an unprivileged read gets 64 bytes).
    void write_config(const std::string& address, bool msix, std::size_t size = 256);
    // Writes a 256-byte register file with IVPosition = `iv_position`.
    void write_registers(const std::string& address, std::uint32_t iv_position);
    // A register of resource0 as the file holds it now (what the transport wrote).
    std::uint32_t read_register(const std::string& address, std::uint32_t offset) const;

private:
    std::string root_;
};

void write_text_file(const std::string& path, const std::string& text);

}  // namespace memdomain::test
