#include "control/vm_attach.h"

#include "memdomain/common/sizes.h"

namespace memdomain::control {
namespace {

// For attribute values in single quotes.
std::string xml_escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace

std::string qemu_escape(const std::string& value) {
    std::string out;
    for (char c : value) {
        out += c;
        if (c == ',') out += ',';
    }
    return out;
}

std::string qemu_size(std::uint64_t bytes) { return format_size(bytes); }

std::vector<std::string> qemu_doorbell_args(const VmAttachSpec& s) {
    const std::string id = "md" + std::to_string(s.segment);
    return {"-chardev", "socket,id=" + id + ",path=" + qemu_escape(s.socket_path), "-device",
            "ivshmem-doorbell,chardev=" + id + ",vectors=" + std::to_string(s.vectors)};
}

std::vector<std::string> qemu_readonly_args(const VmAttachSpec& s) {
    const std::string id = s.segment == 0 ? "mdro" : "mdro" + std::to_string(s.segment);
    return {"-object",
            "memory-backend-file,id=" + id + ",mem-path=" + qemu_escape(s.namespace_path) +
                ",size=" + qemu_size(s.size) + ",share=on,readonly=on",
            "-device", "ivshmem-plain,memdev=" + id};
}

std::string libvirt_shmem_xml(const VmAttachSpec& s) {
    return "<shmem name='" + xml_escape(s.name) + "'><model type='ivshmem-doorbell'/><server path='" +
           xml_escape(s.socket_path) + "'/><msi vectors='" + std::to_string(s.vectors) +
           "' ioeventfd='on'/></shmem>";
}

std::string qemu_readonly_id(const VmAttachSpec& s) {
    std::string id = "mdro-";
    for (char c : s.name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        id += ok ? c : '-';
    }
    return id;
}

nlohmann::json qemu_readonly_object(const VmAttachSpec& s) {
    return {{"qom-type", "memory-backend-file"}, {"id", qemu_readonly_id(s)}, {"mem-path", s.namespace_path},
            {"size", s.size}, {"share", true}, {"readonly", true}};
}

nlohmann::json qemu_readonly_device(const VmAttachSpec& s) {
    return {{"driver", "ivshmem-plain"}, {"id", qemu_readonly_id(s)}, {"memdev", qemu_readonly_id(s)}};
}

std::string libvirt_readonly_xml(const std::vector<VmAttachSpec>& segments) {
    std::string xml = std::string("<qemu:commandline xmlns:qemu='") + kLibvirtQemuNamespace + "'>";
    auto arg = [&xml](const std::string& v) { xml += "<qemu:arg value='" + xml_escape(v) + "'/>"; };
    for (const auto& s : segments) {
        arg("-object");
        arg(qemu_readonly_object(s).dump());
        arg("-device");
        arg(qemu_readonly_device(s).dump());
    }
    return xml + "</qemu:commandline>";
}

}  // namespace memdomain::control
