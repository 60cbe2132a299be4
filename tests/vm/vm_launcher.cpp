// Starts and watches test guests; see vm_launcher.h.
#include "vm_launcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace memdomain::test {

namespace {

using Clock = std::chrono::steady_clock;

bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

}  // namespace

std::string qemu_binary() {
    std::string q = env_or("MEMDOMAIN_QEMU", "");
    if (!q.empty()) return q;
    std::istringstream path(env_or("PATH", "/usr/bin:/bin"));
    for (std::string dir; std::getline(path, dir, ':');) {
        std::string cand = dir + "/qemu-system-x86_64";
        if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    return "/usr/bin/qemu-system-x86_64";
}

std::optional<GuestImage> GuestImage::find(std::string* why) {
    GuestImage g;
    g.dir = env_or("MEMDOMAIN_GUEST_IMAGE_DIR", MEMDOMAIN_GUEST_IMAGE_DIR);
    g.kernel = g.dir + "/vmlinux";
    g.initrd = g.dir + "/initramfs.cpio.gz";
    if (!is_file(g.kernel) || !is_file(g.initrd) || !is_file(g.dir + "/image.stamp")) {
        if (why)
            *why = "no guest image in " + g.dir +
                   " (build the memdomain-guest-image target, or set MEMDOMAIN_GUEST_IMAGE_DIR)";
        return std::nullopt;
    }
    return g;
}

bool GuestImage::has_tool(const std::string& name) const {
    std::istringstream in(read_file(dir + "/tools.list"));
    for (std::string line; std::getline(in, line);)
        if (line == name) return true;
    return false;
}

Vm::Vm(const GuestImage& image, const VmConfig& config, const std::string& workdir)
    : config_(config), serial_path_(workdir + "/" + config.name + ".serial") {
    // no_timer_check: under a loaded host the TCG guest's IO-APIC timer test
    // fails ("timer doesn't work through Interrupt-remapped IO-APIC") and
    // the kernel panics at 0.05 s.
    std::string append = "console=ttyS0 intel_iommu=on quiet no_timer_check panic=-1 scenario=" + config.scenario +
                         " md.timeout=" + std::to_string(config.guest_timeout_s);
    for (const auto& a : config.guest_args) append += " md." + a;
    // q35 + intel-iommu: vfio-pci in the guest needs an IOMMU (the kernel
    // has no VFIO_NOIOMMU). -nodefaults -nic none: no NIC, so no iPXE ROM
    // to wait for. -no-reboot + panic=-1: a panicking guest ends QEMU.
    std::vector<std::string> argv = {qemu_binary(),
                                     "-M", "q35",
                                     "-accel", env_or("MEMDOMAIN_VM_ACCEL", "tcg"),
                                     "-m", config.memory,
                                     "-smp", "1",
                                     "-nodefaults", "-nic", "none", "-display", "none",
                                     "-no-reboot",
                                     "-device", "intel-iommu,intremap=on",
                                     "-kernel", image.kernel,
                                     "-initrd", image.initrd,
                                     "-append", append,
                                     "-serial", "file:" + serial_path_,
                                     "-monitor", "none"};
    if (!config.doorbell_socket.empty()) {
        argv.insert(argv.end(), {"-chardev", "socket,path=" + config.doorbell_socket + ",id=md0", "-device",
                                 "ivshmem-doorbell,chardev=md0,vectors=" + std::to_string(config.vectors)});
    }
    argv.insert(argv.end(), config.extra_qemu_args.begin(), config.extra_qemu_args.end());
    Process::Options o;
    o.log_path = workdir + "/" + config.name + ".qemu.log";
    started_ = Clock::now();
    qemu_ = Process(argv, o);
    watcher_ = std::thread([this] { watch(); });
}

Vm::~Vm() {
    stop_ = true;
    if (watcher_.joinable()) watcher_.join();
    qemu_.kill();
    // $MEMDOMAIN_VM_LOG_DIR keeps every console after the test's own
    // directory is gone: <test>.<vm>.serial / .qemu.log.
    const std::string keep = env_or("MEMDOMAIN_VM_LOG_DIR", "");
    if (!keep.empty()) {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string prefix =
            keep + "/" + (info ? std::string(info->test_suite_name()) + "." + info->name() : "vm") + "." + config_.name;
        std::ofstream(prefix + ".serial") << serial();
        std::ofstream(prefix + ".qemu.log") << qemu_log();
    }
}

// Polls the serial file for the first marker, so boot time is measured even
// while the test thread is busy elsewhere (e.g. waiting on a doorbell).
void Vm::watch() {
    while (!stop_ && boot_seconds_ < 0) {
        if (read_file(serial_path_).find("MDTEST-BOOT") != std::string::npos) boot_seconds_ = seconds_since(started_);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool Vm::exited() {
    if (run_seconds_ >= 0) return true;
    if (qemu_.running()) return false;
    run_seconds_ = seconds_since(started_);
    return true;
}

bool Vm::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (serial().find(text) != std::string::npos) return true;
        if (exited()) return serial().find(text) != std::string::npos;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool Vm::wait_for_text(const std::string& text, std::chrono::milliseconds timeout, std::vector<Vm*> must_live) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (serial().find(text) != std::string::npos) return true;
        if (exited()) return serial().find(text) != std::string::npos;
        for (Vm* other : must_live)
            if (other != this && other->exited()) return false;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool Vm::wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!exited()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void Vm::kill() {
    qemu_.kill();
    if (run_seconds_ < 0) run_seconds_ = seconds_since(started_);
}

std::string Vm::serial() const { return read_file(serial_path_); }
std::string Vm::qemu_log() const { return qemu_.log(); }

std::string Vm::describe() const {
    return "--- " + config_.name + " serial console ---\n" + serial() + "\n--- " + config_.name + " QEMU output ---\n" +
           qemu_log();
}

double Vm::boot_seconds() const { return boot_seconds_; }
double Vm::run_seconds() const { return run_seconds_; }

}  // namespace memdomain::test
