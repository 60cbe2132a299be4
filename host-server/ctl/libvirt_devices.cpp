#include "ctl/libvirt_devices.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "control/vm_attach.h"
#include "ctl/xml_doc.h"

namespace memdomain::ctl {
namespace {

constexpr std::string_view kQemuNs = control::kLibvirtQemuNamespace;

// "0x03", "3" -> 3; -1 for anything else.
long number(const std::string& s) {
    if (s.empty()) return -1;
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 0);
    return end && *end == '\0' && v >= 0 ? v : -1;
}

// Every <address type='pci'> under <devices>, however deep, as (bus, slot).
void used_slots(XmlNode n, std::set<std::pair<long, long>>& out) {
    for (XmlNode c : XmlDoc::children(n)) {
        if (XmlDoc::name(c) == "address" && XmlDoc::attr(c, "type") == "pci")
            out.insert({number(XmlDoc::attr(c, "bus")), number(XmlDoc::attr(c, "slot"))});
        used_slots(c, out);
    }
}

// The id in an -object/-device JSON argument ("" when it is not JSON).
std::string json_id(const std::string& value) {
    const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return "";
    return j["id"].get<std::string>();
}

}  // namespace

Result<PciSlot> free_hotplug_slot(const std::string& live_xml, const TakenSlots& taken) {
    MD_ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::parse(live_xml));
    XmlNode devices = XmlDoc::child(doc.root(), "devices");
    std::set<std::pair<long, long>> used;
    used_slots(devices, used);
    // Preference: a bridge made for conventional PCI devices, then the
    // i440fx root bus (pci-root; q35's pcie-root takes no hot-plug).
    static const char* const kModels[] = {"pcie-to-pci-bridge", "pci-bridge", "pci-root"};
    for (const char* model : kModels) {
        for (XmlNode c : XmlDoc::children(devices, "controller")) {
            if (XmlDoc::attr(c, "type") != "pci" || XmlDoc::attr(c, "model") != model) continue;
            const long index = number(XmlDoc::attr(c, "index"));
            std::string alias = XmlDoc::attr(XmlDoc::child(c, "alias"), "name");
            if (alias.empty()) alias = "pci." + std::to_string(index);
            // From the top down, away from the low slots libvirt fills first.
            for (unsigned slot = 31; slot >= 1; --slot)
                if (!used.count({index, slot}) && !taken.count({alias, slot})) return PciSlot{alias, slot};
        }
    }
    return make_error("the VM has no free slot on a hot-pluggable PCI bus for an ivshmem-plain device (on q35, add "
                      "<controller type='pci' model='pcie-to-pci-bridge'/> to its XML)",
                      EINVAL);
}

Result<std::vector<std::string>> shmem_elements(const std::string& xml, const std::vector<std::string>& sockets) {
    MD_ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::parse(xml));
    std::vector<std::string> out;
    for (XmlNode s : XmlDoc::children(XmlDoc::child(doc.root(), "devices"), "shmem")) {
        const std::string path = XmlDoc::attr(XmlDoc::child(s, "server"), "path");
        if (std::find(sockets.begin(), sockets.end(), path) != sockets.end()) out.push_back(doc.dump(s));
    }
    return out;
}

Result<std::string> with_readonly_args(const std::string& xml, const nlohmann::json& objects,
                                       const nlohmann::json& devices) {
    MD_ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::parse(xml));
    XmlNode cmdline = XmlDoc::child(doc.root(), "commandline", kQemuNs);
    if (!cmdline) cmdline = doc.append(doc.root(), "qemu", control::kLibvirtQemuNamespace, "commandline");
    auto arg = [&](const std::string& value) {
        XmlDoc::set_attr(doc.append(cmdline, "qemu", control::kLibvirtQemuNamespace, "arg"), "value", value);
    };
    for (std::size_t i = 0; i < objects.size() && i < devices.size(); ++i) {
        arg("-object");
        arg(objects[i].dump());
        arg("-device");
        arg(devices[i].dump());
    }
    return doc.to_string();
}

Result<std::pair<std::string, bool>> without_readonly_args(const std::string& xml, const std::vector<std::string>& ids) {
    MD_ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::parse(xml));
    XmlNode cmdline = XmlDoc::child(doc.root(), "commandline", kQemuNs);
    bool found = false;
    if (cmdline) {
        const auto args = XmlDoc::children(cmdline, "arg", kQemuNs);
        std::vector<XmlNode> doomed;
        for (std::size_t i = 0; i + 1 < args.size(); ++i) {
            const std::string opt = XmlDoc::attr(args[i], "value");
            if ((opt == "-object" || opt == "-device") &&
                std::count(ids.begin(), ids.end(), json_id(XmlDoc::attr(args[i + 1], "value")))) {
                doomed.push_back(args[i]);
                doomed.push_back(args[i + 1]);
                ++i;
            }
        }
        found = !doomed.empty();
        for (XmlNode n : doomed) XmlDoc::remove(n);
        if (XmlDoc::children(cmdline).empty()) XmlDoc::remove(cmdline);
    }
    return std::make_pair(doc.to_string(), found);
}

}  // namespace memdomain::ctl
