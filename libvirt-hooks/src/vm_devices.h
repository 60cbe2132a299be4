// Which memdomains a libvirt domain XML uses, and how, read with libxml2:
//   - <shmem> whose <server path> is <socket_dir>/<name>.sock or
//     <socket_dir>/<name>@<i>.sock: domain <name>, read-write (an
//     ivshmem-doorbell device maps the memory read-write);
//   - <qemu:commandline> arguments: "-object" memory-backend-file (JSON or
//     key=value) whose mem-path is <socket_dir>/ns/<name>[@<i>]: domain
//     <name>, read-only, and it must say readonly=on (else a problem);
//     "-chardev socket,...,path=<socket_dir>/<name>.sock": read-write;
//   - a <shmem> without a server (ivshmem-plain) named after a domain that
//     memdomaind serves (its socket file exists): a problem, since libvirt
//     backs it with /dev/shm/<name>, a file of its own, never the domain.
// Everything else is not ours and passes untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"

namespace memdomain::hook {

struct DomainUse {
    std::string domain;
    SegmentAccess access = SegmentAccess::ReadWrite;  // what the VM's devices need
};

struct VmDevices {
    std::vector<DomainUse> uses;        // one per domain, the most access its devices need
    std::vector<std::string> problems;  // "<domain>: why", for a refusal
};

// A quick look before any parsing: could `xml` name a memdomain at all?
bool may_use_memdomains(std::string_view xml);

// EINVAL "malformed XML at line N: ..." for a document libxml2 refuses.
Result<VmDevices> memdomain_devices(std::string_view xml, const std::string& socket_dir);

}  // namespace memdomain::hook
