// Test guests under libvirt; see libvirt_guest.h.
#include "libvirt_guest.h"

#include <signal.h>

#include <charconv>
#include <fstream>
#include <thread>

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace

std::string guest_domain_xml(const GuestImage& image, const GuestSpec& spec, const std::string& serial_path) {
    // Same kernel command line as tests/vm (vm_launcher.cpp): intel_iommu
    // for vfio-pci, no_timer_check against a TCG timer check that panics
    // under load, panic=-1 so a panicking guest ends.
    std::string cmdline = "console=ttyS0 intel_iommu=on quiet no_timer_check panic=-1 scenario=" + spec.scenario +
                          " md.timeout=" + std::to_string(spec.guest_timeout_s);
    for (const auto& a : spec.guest_args) cmdline += " md." + a;
    std::string xml = "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                      "  <name>" + spec.name + "</name>\n"
                      "  <memory unit='MiB'>128</memory>\n"
                      "  <vcpu>1</vcpu>\n"
                      "  <os>\n"
                      "    <type arch='x86_64' machine='q35'>hvm</type>\n"
                      "    <kernel>" + image.kernel + "</kernel>\n"
                      "    <initrd>" + image.initrd + "</initrd>\n"
                      "    <cmdline>" + cmdline + "</cmdline>\n"
                      "  </os>\n"
                      "  <features><acpi/><ioapic driver='qemu'/></features>\n"
                      "  <on_poweroff>destroy</on_poweroff>\n"
                      "  <on_reboot>destroy</on_reboot>\n"
                      "  <on_crash>destroy</on_crash>\n"
                      "  <devices>\n"
                      "    <emulator>" + qemu_binary() + "</emulator>\n"
                      "    <serial type='file'><source path='" + serial_path + "'/><target port='0'/></serial>\n"
                      "    <controller type='usb' model='none'/>\n"
                      "    <memballoon model='none'/>\n"
                      "    <iommu model='intel'><driver intremap='on'/></iommu>\n";
    if (spec.hotplug_bus)
        xml += "    <controller type='pci' index='0' model='pcie-root'/>\n"
               "    <controller type='pci' index='1' model='pcie-root-port'/>\n"
               "    <controller type='pci' index='2' model='pcie-to-pci-bridge'/>\n";
    xml += spec.devices;
    xml += "  </devices>\n" + spec.qemu_commandline + "</domain>\n";
    return xml;
}

LibvirtGuest::LibvirtGuest(const Libvirtd& libvirt, const GuestImage& image, GuestSpec spec,
                           const std::string& workdir)
    : libvirt_(libvirt),
      spec_(std::move(spec)),
      serial_path_(workdir + "/" + spec_.name + ".serial"),
      xml_path_(workdir + "/" + spec_.name + ".xml") {
    std::ofstream(xml_path_) << guest_domain_xml(image, spec_, serial_path_);
}

LibvirtGuest::~LibvirtGuest() {
    const auto pid = qemu_pid();
    if (running()) (void)libvirt_.virsh({"destroy", spec_.name}, 30s);
    if (defined_) (void)libvirt_.virsh({"undefine", spec_.name}, 30s);
    // Whatever libvirt did, its QEMU does not outlive the test.
    if (pid && ::kill(*pid, 0) == 0) ::kill(*pid, SIGKILL);
}

CommandResult LibvirtGuest::create() { return libvirt_.virsh({"create", xml_path_}, 60s); }

CommandResult LibvirtGuest::define_and_start() {
    CommandResult r = libvirt_.virsh({"define", xml_path_}, 30s);
    if (r.exit_code != 0) return r;
    defined_ = true;
    return libvirt_.virsh({"start", spec_.name}, 60s);
}

bool LibvirtGuest::running() const {
    const CommandResult r = libvirt_.virsh({"domstate", spec_.name}, 20s);
    return r.exit_code == 0 && trim(r.output) == "running";
}

bool LibvirtGuest::wait_gone(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(200ms);
    }
    return true;
}

std::optional<pid_t> LibvirtGuest::qemu_pid() const {
    const std::string text = trim(read_file("/run/libvirt/qemu/" + spec_.name + ".pid"));
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

bool LibvirtGuest::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int checks = 0;
    for (;;) {
        if (serial().find(text) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        // Asking libvirt costs a virsh run: every second is enough.
        if (++checks % 20 == 0 && !running()) return serial().find(text) != std::string::npos;
        std::this_thread::sleep_for(50ms);
    }
}

std::string LibvirtGuest::serial() const { return read_file(serial_path_); }

std::string LibvirtGuest::describe() const {
    return "--- " + spec_.name + " serial console ---\n" + serial() + "\n--- libvirt's QEMU log of " + spec_.name +
           " ---\n" + read_file("/var/log/libvirt/qemu/" + spec_.name + ".log") + "\n";
}

}  // namespace memdomain::test
