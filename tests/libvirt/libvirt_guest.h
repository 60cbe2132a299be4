// A test guest run by libvirt: the VM tests' image (vm-images/: vmlinux +
// busybox initramfs + guest tools, direct kernel boot) in a TCG q35 domain
// with an intel-iommu (vfio-pci for doorbells in the guest), its serial
// console in a file the test reads, started with virsh. The guest runs
// /scenarios/<scenario>.sh (vm-images/scenarios) and reports through
// MDTEST-* lines (tests/vm/serial_report.h). Destroyed when the object goes,
// and its QEMU killed by PID if libvirt left it running.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "libvirt_sandbox.h"
#include "serial_report.h"
#include "vm_launcher.h"

namespace memdomain::test {

struct GuestSpec {
    std::string name;                     // the libvirt VM
    std::string scenario;                 // /scenarios/<scenario>.sh
    std::vector<std::string> guest_args;  // "key=value" -> md.key=value
    std::string devices;                  // more XML inside <devices> (a <shmem>, ...)
    std::string qemu_commandline;         // a <qemu:commandline> element, or ""
    bool hotplug_bus = false;             // a pcie-to-pci-bridge for hot-plugged ivshmem
    int guest_timeout_s = 60;             // md.timeout: the guest gives up, reports, powers off
};

// The domain XML of `spec`, with its serial console in `serial_path`.
std::string guest_domain_xml(const GuestImage& image, const GuestSpec& spec, const std::string& serial_path);

class LibvirtGuest {
public:
    LibvirtGuest(const Libvirtd& libvirt, const GuestImage& image, GuestSpec spec, const std::string& workdir);
    ~LibvirtGuest();
    LibvirtGuest(const LibvirtGuest&) = delete;
    LibvirtGuest& operator=(const LibvirtGuest&) = delete;

    // virsh create (a transient VM), or virsh define + start (persistent).
    CommandResult create();
    CommandResult define_and_start();

    const std::string& name() const { return spec_.name; }
    const std::string& xml_path() const { return xml_path_; }
    bool running() const;
    // Waits for the VM to be gone from libvirt (powered off or destroyed).
    bool wait_gone(std::chrono::milliseconds timeout) const;
    // QEMU's pid, from libvirt's pid file (nullopt when not running).
    std::optional<pid_t> qemu_pid() const;
    // True once the serial console holds `text`; false on timeout or once
    // the VM is gone without printing it.
    bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout) const;
    std::string serial() const;
    SerialReport report() const { return parse_serial(serial()); }
    // The serial console and libvirt's QEMU log, for failure messages.
    std::string describe() const;

private:
    const Libvirtd& libvirt_;
    GuestSpec spec_;
    std::string serial_path_, xml_path_;
    bool defined_ = false;
};

}  // namespace memdomain::test
