#include "ctl/libvirt_attach.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "control/control_protocol.h"
#include "ctl/libvirt_devices.h"
#include "ctl/libvirt_session.h"

namespace memdomain::ctl {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// How long a guest gets to let go of an unplugged read-only device.
constexpr auto kUnplugWait = 20s;

json request(const char* verb, const std::string& domain) {
    return {{"v", control::kControlProtocolVersion}, {"verb", verb}, {"name", domain}};
}

std::vector<std::string> strings(const json& a) {
    std::vector<std::string> out;
    if (a.is_array())
        for (const auto& v : a)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

// The VM's lease on the domain before we touch it ("R/W", "R/O"), so a
// failure can put it back.
Result<std::optional<std::string>> current_lease(ControlClient& md, const VmAttach& a) {
    MD_ASSIGN_OR_RETURN(const json show, md.call_result(request("show", a.domain)));
    for (const auto& l : show.at("acl").value("leases", json::array()))
        if (l.value("vm", "") == a.vm) return std::optional<std::string>(l.value("access", "R/O"));
    return std::optional<std::string>();
}

Status lease(ControlClient& md, const VmAttach& a, const std::string& access) {
    json req = request("grant", a.domain);
    req.update({{"kind", "vm"}, {"principal", a.vm}, {"access", access}, {"lease", true}});
    MD_TRY(md.call_result(req));
    return {};
}

Status release(ControlClient& md, const VmAttach& a) {
    json req = request("release", a.domain);
    req["vm"] = a.vm;
    MD_TRY(md.call_result(req));
    return {};
}

// Puts the lease back as it was; the first error wins in the caller.
void restore_lease(ControlClient& md, const VmAttach& a, const std::optional<std::string>& prior) {
    (void)(prior ? lease(md, a, *prior) : release(md, a));
}

// The ids of the devices plugged into the VM's QEMU (QOM /machine/peripheral).
Result<std::set<std::string>> plugged_ids(LibvirtVm& vm) {
    MD_ASSIGN_OR_RETURN(const json list,
                        vm.qmp({{"execute", "qom-list"}, {"arguments", {{"path", "/machine/peripheral"}}}}));
    std::set<std::string> out;
    if (list.is_array())
        for (const auto& p : list)
            if (p.is_object() && p.value("type", "").rfind("child<", 0) == 0) out.insert(p.value("name", ""));
    return out;
}

// device_del, then waits for the guest to let the device go, then drops its
// backend.
Status unplug_readonly(LibvirtVm& vm, const std::string& id) {
    MD_TRY(vm.qmp({{"execute", "device_del"}, {"arguments", {{"id", id}}}}));
    const auto deadline = std::chrono::steady_clock::now() + kUnplugWait;
    for (;;) {
        MD_ASSIGN_OR_RETURN(const auto ids, plugged_ids(vm));
        if (!ids.count(id)) break;
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error("the guest of VM '" + vm.name() + "' did not release device " + id + " within " +
                                  std::to_string(kUnplugWait.count()) + " s; its lease is kept",
                              ETIMEDOUT);
        std::this_thread::sleep_for(100ms);
    }
    MD_TRY(vm.qmp({{"execute", "object-del"}, {"arguments", {{"id", id}}}}));
    return {};
}

// The read-only backends and devices, each device on a free hot-plug slot.
Status plug_readonly(LibvirtVm& vm, const json& view) {
    MD_ASSIGN_OR_RETURN(const std::string live, vm.xml(false));
    TakenSlots taken;
    const json& objects = view.at("objects");
    const json& devices = view.at("devices");
    std::vector<std::string> plugged;
    auto undo = [&] {
        for (const auto& id : plugged) (void)unplug_readonly(vm, id);
    };
    for (std::size_t i = 0; i < objects.size() && i < devices.size(); ++i) {
        auto slot = free_hotplug_slot(live, taken);
        if (!slot) {
            undo();
            return std::move(slot).error();
        }
        taken.insert({slot->bus, slot->slot});
        json device = devices[i];
        device["bus"] = slot->bus;
        char addr[8];
        std::snprintf(addr, sizeof addr, "0x%x", slot->slot);  // QEMU reads a PCI slot in hex
        device["addr"] = addr;
        const std::string id = device.value("id", "");
        if (auto st = vm.qmp({{"execute", "object-add"}, {"arguments", objects[i]}}); !st) {
            undo();
            return std::move(st).error();
        }
        if (auto st = vm.qmp({{"execute", "device_add"}, {"arguments", device}}); !st) {
            (void)vm.qmp({{"execute", "object-del"}, {"arguments", {{"id", id}}}});
            undo();
            return std::move(st).error();
        }
        plugged.push_back(id);
    }
    return {};
}

Status attach_doorbell(LibvirtVm& vm, const json& view, bool live, bool config) {
    const auto elements = strings(view.at("shmem"));
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (auto st = vm.attach_device(elements[i], live, config); !st) {
            for (std::size_t j = 0; j < i; ++j) (void)vm.detach_device(elements[j], live, config);
            return st;
        }
    }
    return {};
}

Status attach_devices(LibvirtVm& vm, const json& view, bool readonly, bool live, bool config) {
    if (!readonly) return attach_doorbell(vm, view, live, config);
    if (live) MD_TRY(plug_readonly(vm, view));
    if (config) {
        auto defined = vm.xml(true);
        Result<std::string> next = defined ? with_readonly_args(*defined, view.at("objects"), view.at("devices"))
                                           : Result<std::string>(std::move(defined).error());
        Status st = next ? vm.define(*next) : Status(std::move(next).error());
        if (!st) {
            if (live)
                for (const auto& d : view.at("devices")) (void)unplug_readonly(vm, d.value("id", ""));
            return st;
        }
    }
    return {};
}

}  // namespace

Result<std::string> attach_to_vm(ControlClient& md, const VmAttach& a) {
    json ask = request("libvirt-xml", a.domain);
    if (a.readonly) ask["readonly"] = true;
    MD_ASSIGN_OR_RETURN(const json view, md.call_result(ask));
    const bool readonly = view.value("form", "") == "readonly";
    MD_ASSIGN_OR_RETURN(LibvirtVm vm, LibvirtVm::open(a.uri, a.vm));
    const bool live = vm.running();
    if (!live && !a.persistent)
        return make_error("VM '" + a.vm + "' is not running: attach --persistent changes its definition only", EINVAL);
    const std::string access = readonly ? "R/O" : "R/W";
    std::optional<std::string> prior;
    if (live) {
        // QEMU connects while the device is plugged: the lease comes first.
        MD_ASSIGN_OR_RETURN(prior, current_lease(md, a));
        MD_TRY(lease(md, a, access));
    }
    if (auto st = attach_devices(vm, view, readonly, live, a.persistent); !st) {
        if (live) restore_lease(md, a, prior);
        return std::move(st).error();
    }
    return "attached domain " + a.domain + " to VM " + a.vm + " (" +
           (readonly ? "read-only, ivshmem-plain" : "read-write, ivshmem-doorbell") + "; " +
           (live ? "live, lease " + access : std::string("not running")) +
           (a.persistent ? "; persistent definition too" : "") + ")";
}

Result<std::string> detach_from_vm(ControlClient& md, const VmAttach& a) {
    MD_ASSIGN_OR_RETURN(const json view, md.call_result(request("libvirt-xml", a.domain)));
    MD_ASSIGN_OR_RETURN(LibvirtVm vm, LibvirtVm::open(a.uri, a.vm));
    const auto sockets = strings(view.at("sockets"));
    std::vector<std::string> ids;
    if (view.at("devices").is_array())
        for (const auto& d : view.at("devices")) ids.push_back(d.value("id", ""));
    std::size_t detached = 0;
    const bool live = vm.running();
    if (live) {
        MD_ASSIGN_OR_RETURN(const std::string xml, vm.xml(false));
        MD_ASSIGN_OR_RETURN(const auto elements, shmem_elements(xml, sockets));
        for (const auto& e : elements) MD_TRY(vm.detach_device(e, true, false));
        detached += elements.size();
        MD_ASSIGN_OR_RETURN(const auto plugged, plugged_ids(vm));
        for (const auto& id : ids)
            if (plugged.count(id)) {
                MD_TRY(unplug_readonly(vm, id));
                ++detached;
            }
    }
    if (a.persistent) {
        MD_ASSIGN_OR_RETURN(const std::string xml, vm.xml(true));
        MD_ASSIGN_OR_RETURN(const auto elements, shmem_elements(xml, sockets));
        for (const auto& e : elements) MD_TRY(vm.detach_device(e, false, true));
        detached += elements.size();
        MD_ASSIGN_OR_RETURN(const std::string now, vm.xml(true));
        MD_ASSIGN_OR_RETURN(const auto edited, without_readonly_args(now, ids));
        if (edited.second) {
            MD_TRY(vm.define(edited.first));
            ++detached;
        }
    }
    if (detached == 0)
        return make_error("VM '" + a.vm + "' has no device of domain " + a.domain +
                              (a.persistent ? "" : " plugged (--persistent: its definition)"),
                          ENOENT);
    MD_TRY(release(md, a));
    return "detached domain " + a.domain + " from VM " + a.vm + " (" + std::to_string(detached) +
           " device(s)); its lease is released";
}

}  // namespace memdomain::ctl
