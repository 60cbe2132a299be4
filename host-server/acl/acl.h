// Who may attach to a domain, decided from the kernel's credentials of the
// connecting socket (SO_PEERCRED uid/gid/pid + SO_PEERGROUPS), never from
// anything a client says.
//
// Rules:
// - No access block: root and the server's own user get the segment's
//   access; everyone else is refused.
// - An access block lists "user U = R/W|R/O", "group G = R/W|R/O" and
//   "vm NAME = R/W|R/O". A client gets the highest right of every entry
//   that matches it; nothing matching means refused. Root is not special
//   once a block exists: grant it explicitly.
// - A libvirt VM (a process that libvirt's root-owned pid file names as the
//   QEMU of VM NAME, acl/libvirt_vm.h) is a principal of its own: only
//   "vm NAME" entries and the VM's leases decide for it, never its uid or
//   groups (every QEMU of a host usually runs as one user, so a uid cannot
//   tell one VM from another). This holds with or without an access block.
//   Other processes are never matched by vm entries.
// - "vm * = ACCESS" admits nobody at connect: it is what the libvirt hook
//   may lease to a VM whose domain XML names the domain (vm_permission).
//   A lease is a grant for one run of one VM, kept apart from the block
//   (ServedDomain holds them) and passed to decide().
// - The segment's own access (size { ... R/O }) caps every grant.
// - A read-only grant is only as good as the kernel's checks: root and the
//   server's own user can reopen the descriptor read-write (root by
//   capability, the server's user because it owns the memfd). A R/O user
//   entry for either, or a R/O group entry that includes either, is refused
//   where it is made (FILE:LINE:COL, or EINVAL for a grant). vm entries are
//   exempt: a R/O VM attaches through QEMU's readonly=on mapping, which holds
//   the guest to R/O whatever user QEMU runs as.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"

namespace memdomain::server {

struct ClientIdentity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary
    // The libvirt VM this process is the QEMU of (libvirt_vm_of), if any.
    std::optional<std::string> vm;
};

// Leases: VM name -> access, each for one run of that VM (the libvirt hook
// makes them at prepare and drops them at release; memdomainctl attach and
// detach likewise).
using VmLeases = std::map<std::string, SegmentAccess, std::less<>>;

class AccessList {
public:
    // Resolves user and group names to ids now, so a typo is a config error
    // (FILE:LINE:COL) at start-up, not a surprise at attach time; refuses a
    // read-only entry that the kernel could not enforce (see above).
    static Result<AccessList> from_config(const std::optional<std::vector<config::AclEntry>>& entries);

    // The access granted (capped by `segment_max`), or an Error that says
    // why not, naming the uid (and the VM).
    Result<SegmentAccess> decide(const ClientIdentity& who, SegmentAccess segment_max,
                                 const VmLeases& leases = {}) const;

    // What the block lets the hook lease to VM `vm`: the best of its
    // "vm <vm>" and "vm *" entries; nullopt when neither exists.
    std::optional<SegmentAccess> vm_permission(std::string_view vm) const;

private:
    struct Entry {
        config::AclEntry::Kind kind;
        unsigned id;     // user and group entries
        std::string vm;  // vm entries: a name or "*"
        SegmentAccess access;
    };
    bool explicit_ = false;
    std::vector<Entry> entries_;
};

}  // namespace memdomain::server
