// How a VM attaches to a segment of a domain, as text a user can paste: the
// QEMU arguments of qemu-config/README.md (doorbell and read-only plain), the
// libvirt <shmem> element, and for read-only VMs under libvirt the
// <qemu:commandline> that passes QEMU the read-only memory backend (libvirt's
// own ivshmem-plain maps /dev/shm/<name> read-write: docs/libvirt.md says
// why that cannot serve). Pure functions of the domain's parameters, so the
// control verbs, memdomainctl attach and the tests share one source of truth.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memdomain::control {

struct VmAttachSpec {
    std::string name;            // the domain
    std::string socket_path;     // <dir>/<name>.sock
    std::string namespace_path;  // <dir>/ns/<name>
    std::uint64_t size = 0;      // of segment 0, bytes
    std::uint32_t vectors = 1;
    std::uint32_t segment = 0;   // device ids: md<segment>, mdro (segment 0) / mdro<segment>
};

// QEMU splits option values at commas; a literal comma is written twice.
std::string qemu_escape(const std::string& value);
// QEMU's size syntax, exact: 67108864 -> "64M", 4096 -> "4K".
std::string qemu_size(std::uint64_t bytes);

// -chardev socket,id=md0,path=SOCK -device ivshmem-doorbell,chardev=md0,vectors=V
std::vector<std::string> qemu_doorbell_args(const VmAttachSpec& s);
// -object memory-backend-file,id=mdro,mem-path=NS,size=S,share=on,readonly=on
// -device ivshmem-plain,memdev=mdro
std::vector<std::string> qemu_readonly_args(const VmAttachSpec& s);

// <shmem name='N'><model type='ivshmem-doorbell'/><server path='SOCK'/>
// <msi vectors='V' ioeventfd='on'/></shmem>, on one line. No <size>: the
// memory fd the server sends sets it, and libvirt (9.0) refuses a size on
// an ivshmem-doorbell.
std::string libvirt_shmem_xml(const VmAttachSpec& s);

// The id of a segment's read-only backend and device: "mdro-<name>", with
// '@' (segment i > 0) turned into '-' to make a valid QEMU id.
std::string qemu_readonly_id(const VmAttachSpec& s);
// The read-only backend and device as QEMU's JSON syntax for -object and
// -device, which QMP's object-add and device_add take unchanged:
// {"qom-type":"memory-backend-file","id":ID,"mem-path":NS,"size":S,"share":true,"readonly":true}
// {"driver":"ivshmem-plain","id":ID,"memdev":ID}
nlohmann::json qemu_readonly_object(const VmAttachSpec& s);
nlohmann::json qemu_readonly_device(const VmAttachSpec& s);

inline constexpr const char* kLibvirtQemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";
// <qemu:commandline xmlns:qemu='...'> with -object/-device per segment (JSON
// for both: QEMU creates JSON -device after legacy ones, so a legacy
// -device here would take a PCI slot libvirt has already given away).
std::string libvirt_readonly_xml(const std::vector<VmAttachSpec>& segments);

}  // namespace memdomain::control
