// memdomainctl's handle on one libvirt VM, through libvirt's C API
// (libvirt.so and libvirt-qemu.so): connect, look the VM up, read and define
// its XML, attach and detach devices, and pass QMP commands to its QEMU
// (virDomainQemuMonitorCommand) for what libvirt's device model cannot say.
// libvirt's errors come back as Error values with libvirt's message; nothing
// is printed by libvirt itself.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "memdomain/common/result.h"

namespace memdomain::ctl {

class LibvirtVm {
public:
    // Connects to `uri` (empty: libvirt's default, qemu:///system for root)
    // and finds VM `name`: ENOENT when there is no such VM.
    static Result<LibvirtVm> open(const std::string& uri, const std::string& name);
    ~LibvirtVm();
    LibvirtVm(LibvirtVm&&) noexcept;
    LibvirtVm& operator=(LibvirtVm&&) noexcept;

    const std::string& name() const { return name_; }
    bool running() const;
    // The live definition, or with `inactive` the persistent one.
    Result<std::string> xml(bool inactive) const;
    // virDomainAttachDeviceFlags / virDomainDetachDeviceFlags with
    // VIR_DOMAIN_AFFECT_LIVE (when `live`) and _CONFIG (when `config`).
    Status attach_device(const std::string& element, bool live, bool config);
    Status detach_device(const std::string& element, bool live, bool config);
    // Replaces the persistent definition (virDomainDefineXML).
    Status define(const std::string& xml);
    // One QMP command ({"execute":..., "arguments":...}) to the VM's QEMU;
    // its "return" value, or QMP's error as an Error.
    Result<nlohmann::json> qmp(const nlohmann::json& command);

private:
    struct Handles;
    LibvirtVm(std::unique_ptr<Handles> h, std::string name);
    std::unique_ptr<Handles> h_;
    std::string name_;
};

}  // namespace memdomain::ctl
