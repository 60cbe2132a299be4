// A QEMU attached to a memdomain the way a VM is (ivshmem-doorbell on the
// domain's socket), paused, with qtest playing its guest: the building block
// of the QEMU tests. Also the config text of a test domain.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ivshmem_guest.h"
#include "memdomain/common/result.h"
#include "qemu_process.h"
#include "qtest_client.h"

namespace memdomain::test {

// The -chardev/-device pair of a doorbell attach, device at slot 4 of bus 0.
std::vector<std::string> doorbell_args(const std::string& socket, unsigned vectors);

// The read-only attach, device at slot 4 of bus 0: ivshmem-plain on a
// read-only, shared memory-backend-file at `mem_path` (a domain's namespace
// entry) of `size` bytes as QEMU reads sizes ("1M", "64M").
std::vector<std::string> readonly_plain_args(const std::string& mem_path, const std::string& size);

// The namespace entry memdomaind publishes for segment 0 of `domain`:
// <socket dir>/ns/<domain>, a symlink to the server's O_RDONLY descriptor of
// the segment (/proc/<server pid>/fd/<n>).
std::string namespace_entry(const std::string& socket_dir, const std::string& domain);

struct QemuGuestOptions {
    std::string work_dir;  // logs and the qtest socket go here
    std::string name;      // names the files: "<name>.log", "<name>-qtest.sock"
    std::vector<std::string> args;  // the devices; doorbell_args(...) typically
    std::string machine = "pc";
    bool qtest = true;     // connect qtest and set the ivshmem device up
    // Where the ivshmem device is; nullopt: find it on bus 0.
    std::optional<PciAddress> device = PciAddress{0, 4, 0};
    std::chrono::milliseconds timeout{10000};
};

class QemuGuest {
public:
    // Starts QEMU; with qtest, waits for its connection and runs
    // IvshmemGuest::setup. An error carries QEMU's log.
    static Result<std::unique_ptr<QemuGuest>> start(const QemuGuestOptions& options);

    QemuProcess& process() { return proc_; }
    QtestClient& qtest() { return *qtest_; }
    IvshmemGuest& device() { return *device_; }
    std::string log() const { return proc_.log(); }

private:
    QemuGuest() = default;
    QemuProcess proc_;
    std::optional<QtestClient> qtest_;
    std::optional<IvshmemGuest> device_;
};

}  // namespace memdomain::test
