// A real libvirtd for the libvirt tests, without touching the machine's own:
//
// 1. enter_sandbox() (from main, before anything else) re-executes the test
//    binary under `unshare --mount --pid --fork --kill-child --mount-proc`:
//    a private mount namespace and a pid namespace of its own. Its first
//    process (pid 1) stays behind as the namespace's init: it reaps the
//    QEMUs libvirt double-forks (libvirt polls a dying QEMU's pid, which a
//    zombie would keep alive) and exits with the tests' status. When it
//    ends, whatever way, the kernel kills every process of the namespace:
//    no libvirtd, virtlogd, QEMU or memdomaind can outlive the test.
// 2. Before the tests run, overlay mounts make /etc, /var/lib/libvirt,
//    /var/log/libvirt and /run private and writable (uppers in a temporary
//    directory), and /var/cache/libvirt too, with an upper kept in the build
//    tree so libvirt's QEMU capability cache survives from run to run.
//    qemu.conf is set for a machine without systemd: QEMU as root, no
//    cgroups, no namespaces, no security driver, no dynamic ownership.
// 3. Libvirtd (per test process, shared by its tests) starts virtlogd and
//    libvirtd in the foreground as test::Process children and stops them
//    by PID (after destroying every VM) when it goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {

// Called first thing in main(). Returns only inside the sandbox, in the
// process that runs the tests; exits the process otherwise (the outer
// processes pass the tests' exit status on). `listing`: gtest only lists
// its tests (test discovery): no sandbox, nothing started.
void enter_sandbox(int argc, char** argv, bool listing);

// Where the sandbox's private files live (its overlays' upper dirs, logs).
const std::string& sandbox_dir();

struct CommandResult {
    int exit_code = -1;  // -1: did not exit in time (killed)
    std::string output;  // stdout and stderr
};
// Runs argv[0] (a path) to completion, output captured.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

class Libvirtd {
public:
    // Starts virtlogd and libvirtd and waits until virsh gets an answer.
    Libvirtd();
    // Destroys every running VM, then stops libvirtd and virtlogd by PID.
    ~Libvirtd();
    Libvirtd(const Libvirtd&) = delete;
    Libvirtd& operator=(const Libvirtd&) = delete;

    const std::string& start_error() const { return error_; }
    bool ok() const { return error_.empty(); }
    pid_t pid() const { return libvirtd_.pid(); }

    // virsh -c qemu:///system ARGS...
    CommandResult virsh(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
    // SIGTERM to libvirtd, wait for it, start it again (VMs keep running;
    // virtlogd, which holds their console pipes, too).
    bool restart();
    // Sends SIGHUP (libvirt looks for hooks again).
    void reload();
    std::string log() const;

private:
    bool start();
    bool start_libvirtd();
    void stop();
    Process virtlogd_, libvirtd_;
    std::string error_;
};

}  // namespace memdomain::test
