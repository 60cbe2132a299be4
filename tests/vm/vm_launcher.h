// Boots a test guest (vm-images/: vmlinux + busybox initramfs) in QEMU/TCG,
// optionally attached to a memdomain through ivshmem-doorbell, with its
// serial console in a file that a watcher thread scans for the guest's
// markers. QEMU is a test::Process: killed by its own PID when the Vm goes
// away, pass or fail.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "process.h"
#include "serial_report.h"

namespace memdomain::test {

// The kernel and initramfs that build-guest-image.sh made.
struct GuestImage {
    std::string kernel, initrd;
    // From $MEMDOMAIN_GUEST_IMAGE_DIR, else the build's image directory.
    // nullopt and `why` filled when the image is missing.
    static std::optional<GuestImage> find(std::string* why);
    // Which tools the image holds (/bin/NAME in the guest), from the
    // tools.list the build script writes next to the image.
    bool has_tool(const std::string& name) const;
    std::string dir;
};

struct VmConfig {
    std::string name = "vm";              // for file names and messages
    std::string scenario;                 // /scenarios/<scenario>.sh in the guest
    std::vector<std::string> guest_args;  // "KEY=VALUE" -> md.KEY=VALUE on the cmdline
    std::string doorbell_socket;          // a domain socket; empty: no ivshmem device
    unsigned vectors = 2;
    std::vector<std::string> extra_qemu_args;  // appended as they are (e.g. an ivshmem-plain device)
    // 96M is enough to boot, but the kernel holds the gzipped and the
    // unpacked initramfs (~4 + ~10 MB) at once and OOMed at 96M under load.
    std::string memory = "128M";
    int guest_timeout_s = 60;             // md.timeout: the guest gives up and reports
};

class Vm {
public:
    // Starts QEMU at once; files go to `workdir` (<name>.serial, <name>.qemu.log).
    Vm(const GuestImage& image, const VmConfig& config, const std::string& workdir);
    ~Vm();
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;

    pid_t pid() const { return qemu_.pid(); }
    const std::string& name() const { return config_.name; }

    // True once the serial console holds `text`; false on timeout or when
    // QEMU exited without printing it.
    bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout);
    // Like wait_for_text, but gives up at once when one of `must_live` exits
    // (a partner VM that panicked or failed makes waiting pointless).
    bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout, std::vector<Vm*> must_live);
    // True once QEMU has exited (reaps it).
    bool has_exited() { return exited(); }
    // Waits for QEMU to exit (the guest powered off). False on timeout.
    bool wait_exit(std::chrono::milliseconds timeout);
    // SIGKILL QEMU now (a VM "pulled from the wall").
    void kill();

    std::string serial() const;
    std::string qemu_log() const;
    SerialReport report() const { return parse_serial(serial()); }
    // Serial console and QEMU's own output, for failure messages.
    std::string describe() const;

    // Seconds from QEMU's start to the guest's first marker (MDTEST-BOOT);
    // negative if not seen yet.
    double boot_seconds() const;
    // Seconds from QEMU's start to its exit; negative if still running.
    double run_seconds() const;

private:
    void watch();
    bool exited();

    VmConfig config_;
    std::string serial_path_;
    Process qemu_;
    std::chrono::steady_clock::time_point started_;
    std::atomic<double> boot_seconds_{-1}, run_seconds_{-1};
    std::atomic<bool> stop_{false};
    std::thread watcher_;
};

// The QEMU binary: $MEMDOMAIN_QEMU, else qemu-system-x86_64 on $PATH.
std::string qemu_binary();

}  // namespace memdomain::test
