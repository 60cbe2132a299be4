// memdomainctl attach / detach: hot-plug a domain into a running libvirt VM
// and out again. No libvirt hook runs for a hot-plug, so attach leases the
// domain to the VM itself (the control protocol's grant with "lease") before
// QEMU connects, and detach releases it after the device is gone.
//
// Read-write (doorbells): the <shmem> elements of the libvirt-xml verb go
// through virDomainAttachDeviceFlags / virDomainDetachDeviceFlags
// (VIR_DOMAIN_AFFECT_LIVE, and _CONFIG with --persistent).
// Read-only: libvirt's own ivshmem-plain maps /dev/shm/<name> read-write, so
// the read-only backend and its ivshmem-plain device go to QEMU through
// QMP (object-add/device_add, through libvirt's virDomainQemuMonitorCommand)
// on a free slot of a hot-pluggable bus; --persistent adds the same as
// <qemu:commandline> arguments to the persistent definition.
// Anything that fails leaves the VM's lease as it was before.
#pragma once

#include <string>

#include "ctl/control_client.h"
#include "memdomain/common/result.h"

namespace memdomain::ctl {

struct VmAttach {
    std::string vm;      // the libvirt VM
    std::string domain;  // the memdomain
    std::string uri;     // libvirt's connection URI ("" = libvirt's default)
    bool persistent = false;
    bool readonly = false;  // attach: the read-only form
};

// One line saying what was done, or an Error (ENOENT: no such VM, domain or
// device; EACCES/EPERM: not allowed; EINVAL: cannot be done that way).
Result<std::string> attach_to_vm(ControlClient& server, const VmAttach& a);
Result<std::string> detach_from_vm(ControlClient& server, const VmAttach& a);

}  // namespace memdomain::ctl
