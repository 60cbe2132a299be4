// The domain verbs' results (list, show, qemu-args, libvirt-xml, and the acl
// that grant and revoke return) as JSON, read from the registry: what the
// config declared, each instance the domain has now (memory, peers, doorbell
// counters), and how a VM attaches.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/domain_registry.h"

namespace memdomain::control {

nlohmann::json list_view(const server::DomainRegistry& reg);
nlohmann::json show_view(const server::ServedDomain& d);
// One instance as show lists it: key, generation, sizes, and per segment
// each peer with its doorbell (mailbox) counters. The counters are the only
// bytes read from shared memory, at the offsets the server computed itself
// (Segment::mailbox_count), for the vectors the server itself configured.
nlohmann::json instance_view(const server::DomainInstance& inst);
nlohmann::json qemu_args_view(const server::ServedDomain& d);
// The libvirt elements for a VM: "xml" is the one to paste ("form":
// "doorbell", the <shmem> elements, or "readonly", the <qemu:commandline>),
// chosen by `readonly`, by what VM `vm` is granted (nothing: EACCES), or
// by the segments' access; both forms and the read-only backends and
// devices as JSON (for QMP) come along. EINVAL: read-only for a domain that
// is not shared.
Result<nlohmann::json> libvirt_xml_view(const server::ServedDomain& d, const std::optional<std::string>& vm,
                                        bool readonly);
// The domain's access rules as acl/acl.h applies them: {explicit, summary,
// entries:[{kind,principal,access}]} (show's "acl", grant's and revoke's).
nlohmann::json acl_view(const server::ServedDomain& d);

// "R/W" / "R/O", as configs and logs write it.
const char* access_name(SegmentAccess a);
const char* type_name(config::DomainType t);
const char* policy_name(config::DomainPolicy p);

}  // namespace memdomain::control
