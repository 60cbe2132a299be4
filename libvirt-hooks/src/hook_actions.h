// What the hook does at each libvirt event it acts on, through memdomaind's
// control socket (the control protocol's lease and release verbs):
//   prepare begin  every domain the VM's XML uses: memdomaind is up, the
//                  domain exists, its access block permits the VM what its
//                  devices need ("vm <name>" or "vm *"), and the VM gets a
//                  lease for this run. All or nothing: leases made before a
//                  failure are released again.
//   release end    every lease the VM holds, on every domain, is released.
// Each returns "" on success or the one line that explains the refusal.
#pragma once

#include <string>

#include "hook_config.h"
#include "vm_devices.h"

namespace memdomain::hook {

std::string prepare(const std::string& vm, const VmDevices& devices, const HookConfig& cfg);
std::string release(const std::string& vm, const HookConfig& cfg);

}  // namespace memdomain::hook
