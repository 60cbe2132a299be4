// The domain verbs' results (list, show, qemu-args, libvirt-xml) as JSON,
// read from the registry: what the config declared, what each segment's
// server has now (peers, queues), and how a VM attaches.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "domain/domain_registry.h"

namespace memdomain::control {

nlohmann::json list_view(const server::DomainRegistry& reg);
nlohmann::json show_view(const server::DomainRegistry::DomainEntry& d);
nlohmann::json qemu_args_view(const server::DomainRegistry::DomainEntry& d);
nlohmann::json libvirt_xml_view(const server::DomainRegistry::DomainEntry& d);

// "R/W" / "R/O", as configs and logs write it.
const char* access_name(SegmentAccess a);

}  // namespace memdomain::control
