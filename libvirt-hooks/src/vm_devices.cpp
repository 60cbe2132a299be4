#include "vm_devices.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "ctl/xml_doc.h"
#include "memdomain/common/names.h"

namespace memdomain::hook {
namespace {

using ctl::XmlDoc;
using ctl::XmlNode;

constexpr std::string_view kQemuNs = "http://libvirt.org/schemas/domain/qemu/1.0";

// The domain a file name in the socket directory stands for: "<name>.sock",
// "<name>@<i>.sock" (`suffix` ".sock"), or "<name>", "<name>@<i>" (ns/, no
// suffix). "" when it is none.
std::string domain_of(std::string_view file, std::string_view suffix) {
    if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix) return "";
    file.remove_suffix(suffix.size());
    if (auto at = file.find('@'); at != std::string_view::npos) {
        const std::string_view index = file.substr(at + 1);
        if (index.empty() || index.find_first_not_of("0123456789") != std::string_view::npos) return "";
        file = file.substr(0, at);
    }
    return validate_domain_name(file) ? std::string(file) : "";
}

// The file name of `path` when `path` is directly in `dir`, else "".
std::string file_in(const std::string& path, const std::string& dir) {
    if (path.size() <= dir.size() + 1 || path.compare(0, dir.size(), dir) != 0 || path[dir.size()] != '/') return "";
    const std::string rest = path.substr(dir.size() + 1);
    return rest.find('/') == std::string::npos ? rest : "";
}

// QEMU's key=value syntax ("a,k=v,k2=v,,w"): ",," is a literal comma; the
// first item may be a bare word (the type).
std::map<std::string, std::string> keyval(const std::string& s) {
    std::map<std::string, std::string> out;
    std::string item;
    auto flush = [&] {
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            out.emplace(out.empty() ? "type" : item, out.empty() ? item : "on");
        else
            out[item.substr(0, eq)] = item.substr(eq + 1);
        item.clear();
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ',' && i + 1 < s.size() && s[i + 1] == ',') {
            item += ',';
            ++i;
        } else if (s[i] == ',') {
            flush();
        } else {
            item += s[i];
        }
    }
    flush();
    return out;
}

std::string str_of(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool truthy(const std::string& v) { return v == "on" || v == "yes" || v == "true" || v == "y"; }

class Collector {
public:
    explicit Collector(const std::string& dir) : dir_(dir) {}

    void use(const std::string& domain, SegmentAccess a) {
        auto it = std::find_if(out_.uses.begin(), out_.uses.end(), [&](const DomainUse& u) { return u.domain == domain; });
        if (it == out_.uses.end())
            out_.uses.push_back({domain, a});
        else if (a == SegmentAccess::ReadWrite)
            it->access = a;
    }
    void problem(const std::string& domain, const std::string& why) { out_.problems.push_back(domain + ": " + why); }

    void shmem(XmlNode s) {
        const std::string name = XmlDoc::attr(s, "name");
        const XmlNode server = XmlDoc::child(s, "server");
        if (server) {
            const std::string d = domain_of(file_in(XmlDoc::attr(server, "path"), dir_), ".sock");
            if (!d.empty()) use(d, SegmentAccess::ReadWrite);
            return;
        }
        struct stat st{};
        if (validate_domain_name(name) && ::lstat(domain_socket_path(dir_, name).c_str(), &st) == 0)
            problem(name, "<shmem name='" + name + "'> has no <server>: libvirt backs it with /dev/shm/" + name +
                              ", a file of its own, not memdomain's domain; attach read-write with <server path='" +
                              domain_socket_path(dir_, name) +
                              "'/> (ivshmem-doorbell), read-only with the <qemu:commandline> of "
                              "memdomainctl libvirt-xml " + name + " --readonly");
    }

    void object(const std::string& value) {
        std::string type, path;
        bool readonly = false;
        const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
        if (j.is_object()) {
            type = str_of(j, "qom-type");
            path = str_of(j, "mem-path");
            const auto ro = j.find("readonly");
            readonly = ro != j.end() && ((ro->is_boolean() && ro->get<bool>()) || (ro->is_string() && truthy(ro->get<std::string>())));
        } else {
            auto kv = keyval(value);
            type = kv["type"].empty() ? kv["qom-type"] : kv["type"];
            path = kv["mem-path"];
            readonly = truthy(kv["readonly"]);
        }
        if (type != "memory-backend-file") return;
        const std::string d = domain_of(file_in(path, dir_ + "/ns"), "");
        if (d.empty()) return;
        if (!readonly)
            problem(d, "the memory backend on " + path +
                           " lacks readonly=on: the namespace entry is for read-only VMs, and QEMU would map it "
                           "read-write");
        use(d, SegmentAccess::ReadOnly);
    }

    void chardev(const std::string& value) {
        auto kv = keyval(value);
        if (kv["type"] != "socket") return;
        const std::string d = domain_of(file_in(kv["path"], dir_), ".sock");
        if (!d.empty()) use(d, SegmentAccess::ReadWrite);
    }

    void commandline(XmlNode c) {
        const auto args = XmlDoc::children(c, "arg", kQemuNs);
        for (std::size_t i = 0; i + 1 < args.size(); ++i) {
            const std::string opt = XmlDoc::attr(args[i], "value");
            if (opt == "-object") object(XmlDoc::attr(args[i + 1], "value"));
            if (opt == "-chardev") chardev(XmlDoc::attr(args[i + 1], "value"));
        }
    }

    VmDevices take() { return std::move(out_); }

private:
    const std::string& dir_;
    VmDevices out_;
};

}  // namespace

bool may_use_memdomains(std::string_view xml) {
    return xml.find("shmem") != std::string_view::npos || xml.find("commandline") != std::string_view::npos;
}

Result<VmDevices> memdomain_devices(std::string_view xml, const std::string& socket_dir) {
    MD_ASSIGN_OR_RETURN(XmlDoc doc, XmlDoc::parse(xml));
    if (XmlDoc::name(doc.root()) != "domain")
        return make_error("the XML is not a libvirt domain (root <" + XmlDoc::name(doc.root()) + ">)", EINVAL);
    Collector c(socket_dir);
    for (XmlNode s : XmlDoc::children(XmlDoc::child(doc.root(), "devices"), "shmem")) c.shmem(s);
    for (XmlNode cl : XmlDoc::children(doc.root(), "commandline", kQemuNs)) c.commandline(cl);
    return c.take();
}

}  // namespace memdomain::hook
