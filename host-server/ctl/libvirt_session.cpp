#include "ctl/libvirt_session.h"

#include <cstdlib>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace memdomain::ctl {
namespace {

// libvirt prints every error to stderr unless told otherwise; memdomainctl
// reports them itself, once, with what it was doing.
void quiet(void*, virErrorPtr) {}

Error libvirt_error(const std::string& what, int fallback = EIO) {
    const virErrorPtr e = virGetLastError();
    const int code = e ? e->code : static_cast<int>(VIR_ERR_OK);
    const std::string message = e && e->message ? e->message : "unknown libvirt error";
    int err = fallback;
    if (code == VIR_ERR_NO_DOMAIN) err = ENOENT;
    if (code == VIR_ERR_OPERATION_DENIED || code == VIR_ERR_AUTH_FAILED) err = EACCES;
    if (code == VIR_ERR_NO_CONNECT || code == VIR_ERR_SYSTEM_ERROR) err = EHOSTUNREACH;
    return make_error(what + ": " + message, err);
}

// A string libvirt allocated, freed with free().
std::string take(char* s) {
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

unsigned flags_of(bool live, bool config) {
    return (live ? unsigned{VIR_DOMAIN_AFFECT_LIVE} : 0u) | (config ? unsigned{VIR_DOMAIN_AFFECT_CONFIG} : 0u);
}

}  // namespace

struct LibvirtVm::Handles {
    virConnectPtr conn = nullptr;
    virDomainPtr dom = nullptr;
    ~Handles() {
        if (dom) virDomainFree(dom);
        if (conn) virConnectClose(conn);
    }
};

LibvirtVm::LibvirtVm(std::unique_ptr<Handles> h, std::string name) : h_(std::move(h)), name_(std::move(name)) {}
LibvirtVm::~LibvirtVm() = default;
LibvirtVm::LibvirtVm(LibvirtVm&&) noexcept = default;
LibvirtVm& LibvirtVm::operator=(LibvirtVm&&) noexcept = default;

Result<LibvirtVm> LibvirtVm::open(const std::string& uri, const std::string& name) {
    virSetErrorFunc(nullptr, quiet);
    auto h = std::make_unique<Handles>();
    h->conn = virConnectOpen(uri.empty() ? nullptr : uri.c_str());
    if (!h->conn)
        return libvirt_error("cannot connect to libvirt" + (uri.empty() ? std::string() : " at " + uri), EHOSTUNREACH);
    h->dom = virDomainLookupByName(h->conn, name.c_str());
    if (!h->dom) return libvirt_error("no libvirt VM '" + name + "'", ENOENT);
    return LibvirtVm(std::move(h), name);
}

bool LibvirtVm::running() const { return virDomainIsActive(h_->dom) == 1; }

Result<std::string> LibvirtVm::xml(bool inactive) const {
    char* x = virDomainGetXMLDesc(h_->dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!x) return libvirt_error("cannot read the XML of VM '" + name_ + "'");
    return take(x);
}

Status LibvirtVm::attach_device(const std::string& element, bool live, bool config) {
    if (virDomainAttachDeviceFlags(h_->dom, element.c_str(), flags_of(live, config)) != 0)
        return libvirt_error("libvirt could not attach the device to VM '" + name_ + "'");
    return {};
}

Status LibvirtVm::detach_device(const std::string& element, bool live, bool config) {
    if (virDomainDetachDeviceFlags(h_->dom, element.c_str(), flags_of(live, config)) != 0)
        return libvirt_error("libvirt could not detach the device from VM '" + name_ + "'");
    return {};
}

Status LibvirtVm::define(const std::string& xml) {
    virDomainPtr d = virDomainDefineXML(h_->conn, xml.c_str());
    if (!d) return libvirt_error("libvirt refused the new definition of VM '" + name_ + "'");
    virDomainFree(d);
    return {};
}

Result<nlohmann::json> LibvirtVm::qmp(const nlohmann::json& command) {
    char* out = nullptr;
    if (virDomainQemuMonitorCommand(h_->dom, command.dump().c_str(), &out, VIR_DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT) !=
        0)
        return libvirt_error("QMP " + command.value("execute", std::string("?")) + " on VM '" + name_ + "'");
    const nlohmann::json reply = nlohmann::json::parse(take(out), nullptr, /*allow_exceptions=*/false);
    if (reply.is_object() && reply.contains("return")) return reply["return"];
    std::string why = "unexpected reply";
    if (reply.is_object() && reply.contains("error") && reply["error"].is_object() &&
        reply["error"].contains("desc") && reply["error"]["desc"].is_string())
        why = reply["error"]["desc"].get<std::string>();
    return make_error("QMP " + command.value("execute", std::string("?")) + " on VM '" + name_ + "': " + why, EIO);
}

}  // namespace memdomain::ctl
