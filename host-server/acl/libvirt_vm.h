// Which libvirt VM a connecting process is, from facts the process cannot
// forge: the pid the kernel reports for its socket (SO_PEERCRED) and the pid
// files libvirt's QEMU driver writes, as root, into its run directory
// (/run/libvirt/qemu/<vm>.pid, configurable: server { libvirt_run_dir }).
//
// The trust argument. A process is the QEMU of VM <vm> when:
//   1. the run directory is a real directory (not a symlink) owned by root
//      and writable by nobody else, so only root can add, replace or rename
//      files in it;
//   2. <vm>.pid there is a regular file with one link, owned by root and
//      writable by nobody else, holding exactly the process's pid; and
//      <vm>.xml (libvirt's status file of a running VM) is there too, owned
//      by root (this leaves out libvirtd's own driver.pid);
//   3. the process started no later than the pid file was written (with
//      kPidFileSlack for clock granularity): libvirt writes the file after it
//      forks QEMU, so a process that started afterwards is a newcomer that
//      reused the pid of a QEMU that has since died (libvirt deletes the file
//      when it reaps QEMU, so that window is short anyway).
// QEMU runs as an unprivileged user and cannot write any of this, so it
// cannot claim to be another VM. Its own pid is all it can show.
//
// Limits (docs/libvirt.md says the same to users):
// - A process that QEMU forks is not in the pid file, so it is not a VM: it
//   is judged by its uid like any process. A user or group entry that admits
//   the QEMU user (libvirt-qemu, kvm) therefore admits every VM's children:
//   for per-VM isolation, name VMs only.
// - The server and libvirtd must share a pid namespace and see the same run
//   directory (same mount namespace, or libvirt_run_dir pointing at it).
// - root (and a QEMU running as root) can rewrite the pid files: per-VM
//   isolation holds against unprivileged QEMUs only.
// - The start-time check compares the boot clock with a file's wall-clock
//   mtime; a step of the wall clock between the file's writing and the
//   check can make a genuine QEMU look newer than its pid file (it is then
//   refused, never wrongly admitted as another VM).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace memdomain::server {

inline constexpr std::chrono::milliseconds kPidFileSlack{1000};

struct VmLookup {
    std::optional<std::string> vm;  // the VM, when the process is one
    // Why a pid file that named the process was not trusted, or why the run
    // directory could not be used ("" when there is nothing to say). For
    // the log: the process is then not treated as a VM.
    std::string note;
};

// Scans `run_dir` for a pid file that names `pid` and checks it as above.
// An empty `run_dir`, or one that does not exist (no libvirt on this host),
// gives no VM and no note.
VmLookup libvirt_vm_of(pid_t pid, const std::string& run_dir);

}  // namespace memdomain::server
