// Implementation of ivshmem_guest.h.
#include "ivshmem_guest.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {

IvshmemGuest::IvshmemGuest(const std::string& socket_path, std::chrono::milliseconds timeout) {
    auto fail = [&](const std::string& why) {
        error_ = socket_path + ": " + why;
        socket_.reset();
        memfd_.reset();
        map_.reset();
    };
    auto sock = sys::connect_unix(socket_path);
    if (!sock) { fail(sock.error().message); return; }
    socket_ = std::move(*sock);
    auto version = sys::receive_message(socket_.get(), timeout);
    if (!version || version->value != ivshmem::kProtocolVersion) { fail("no protocol version 0"); return; }
    auto id = sys::receive_message(socket_.get(), timeout);
    if (!id || id->value < 0) { fail("no peer id"); return; }
    id_ = static_cast<std::uint32_t>(id->value);
    auto shm = sys::receive_message(socket_.get(), timeout);
    if (!shm || shm->value != ivshmem::kSharedMemoryId || !shm->fd) { fail("no shared memory fd"); return; }
    memfd_ = std::move(shm->fd);
    auto size = sys::fd_size(memfd_.get());
    if (!size) { fail(size.error().message); return; }
    size_ = *size;
    auto m = sys::map_shared(memfd_.get(), size_, sys::Protection::ReadWrite);
    if (!m) { fail(m.error().message); return; }
    map_ = std::move(*m);
    auto h = validate_segment_header(map_.data(), size_);
    if (!h) { fail(h.error().message); return; }
    header_ = *h;
    // The burst ends when our own id has come `vectors` times.
    while (own_fds_.size() < header_.vectors) {
        auto msg = sys::receive_message(socket_.get(), timeout);
        if (!msg) { fail("initial burst: " + msg.error().message); return; }
        if (msg->value == id_)
            own_fds_.push_back(std::move(msg->fd));
        else
            peer_fds_[static_cast<std::uint32_t>(msg->value)].push_back(std::move(msg->fd));
    }
}

std::uint64_t IvshmemGuest::mailbox(std::uint32_t peer, std::uint32_t vector) const {
    std::uint64_t* w = mailbox_word(map_.data(), header_, peer, vector);
    return w ? std::atomic_ref<std::uint64_t>(*w).load() : ~std::uint64_t{0};
}

void write_text_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

FakeSysfs::FakeSysfs(const std::string& root) : root_(root) {
    std::filesystem::create_directories(root_ + "/bus/pci/devices");
}

std::string FakeSysfs::device_dir(const std::string& address) const {
    return root_ + "/bus/pci/devices/" + address;
}

std::string FakeSysfs::add_bare_device(const std::string& address, const std::string& vendor,
                                       const std::string& device) {
    const std::string dir = device_dir(address);
    std::filesystem::create_directories(dir);
    write_text_file(dir + "/vendor", vendor + "\n");
    write_text_file(dir + "/device", device + "\n");
    write_text_file(dir + "/enable", "0\n");
    return dir;
}

std::string FakeSysfs::add_device(const std::string& address, const IvshmemGuest& guest) {
    return add_memory_device(address, guest.memfd(), guest.id());
}

std::string FakeSysfs::add_memory_device(const std::string& address, int memfd, std::uint32_t iv_position) {
    const std::string dir = add_bare_device(address);
    write_config(address, true);
    write_registers(address, iv_position);
    write_text_file(dir + "/resource1", std::string(4096, '\0'));
    std::filesystem::create_symlink("/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(memfd),
                                    dir + "/resource2");
    return dir;
}

std::string FakeSysfs::add_plain_device(const std::string& address, int memfd) {
    const std::string dir = add_bare_device(address);
    write_config(address, false);
    write_registers(address, 0);
    std::filesystem::create_symlink("/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(memfd),
                                    dir + "/resource2");
    return dir;
}

void FakeSysfs::write_config(const std::string& address, bool msix, std::size_t size) {
    std::uint8_t c[256] = {};
    c[0x00] = 0xf4, c[0x01] = 0x1a;  // vendor 1af4
    c[0x02] = 0x10, c[0x03] = 0x11;  // device 1110
    c[0x08] = 0x01;                  // revision 1
    c[0x0a] = 0x00, c[0x0b] = 0x05;  // class 0500: RAM
    if (msix) {
        c[0x06] = 0x10;  // status: capability list
        c[0x34] = 0x40;  // first capability
        c[0x40] = 0x11;  // MSI-X
        c[0x41] = 0x00;  // last one
        c[0x42] = 0x01;  // table size - 1 (2 vectors)
        c[0x44] = 0x01;  // table in BAR1
    }
    std::ofstream(device_dir(address) + "/config", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(c), static_cast<std::streamsize>(std::min(size, sizeof c)));
}

void FakeSysfs::write_registers(const std::string& address, std::uint32_t iv_position) {
    std::uint32_t regs[ivshmem::kBar0Size / 4] = {};
    regs[ivshmem::kRegIVPosition / 4] = iv_position;
    std::ofstream(device_dir(address) + "/resource0", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(regs), sizeof regs);
}

std::uint32_t FakeSysfs::read_register(const std::string& address, std::uint32_t offset) const {
    std::ifstream in(device_dir(address) + "/resource0", std::ios::binary);
    in.seekg(offset);
    std::uint32_t v = 0xdeadbeef;
    in.read(reinterpret_cast<char*>(&v), sizeof v);
    return v;
}

}  // namespace memdomain::test
