// What memdomainctl attach/detach read from and change in a libvirt domain
// XML: the <shmem> devices on a domain's sockets, a free slot on a
// hot-pluggable conventional PCI bus (for a read-only ivshmem-plain device,
// which goes in through QMP, out of libvirt's sight), and the read-only
// devices kept in <qemu:commandline> of the persistent definition.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "memdomain/common/result.h"

namespace memdomain::ctl {

// A bus by its QEMU id ("pci.3": libvirt names controller N "pci.N") and a
// slot on it.
struct PciSlot {
    std::string bus;
    unsigned slot = 0;
};
using TakenSlots = std::set<std::pair<std::string, unsigned>>;

// The highest free slot on the first hot-pluggable conventional PCI bus of
// the live XML (pcie-to-pci-bridge, pci-bridge, then pci-root), skipping
// the slots libvirt placed devices on and `taken`. EINVAL, saying what to
// add to the XML, when there is none.
Result<PciSlot> free_hotplug_slot(const std::string& live_xml, const TakenSlots& taken = {});

// The <shmem> elements (as XML text) whose <server path> is in `sockets`.
Result<std::vector<std::string>> shmem_elements(const std::string& xml, const std::vector<std::string>& sockets);

// The definition with -object/-device arguments for each of `objects` and
// `devices` (QEMU JSON, as the libvirt-xml verb gives them) appended to its
// <qemu:commandline>.
Result<std::string> with_readonly_args(const std::string& xml, const nlohmann::json& objects,
                                       const nlohmann::json& devices);
// The definition without the -object/-device pairs whose JSON id is one of
// `ids`, and whether there were any.
Result<std::pair<std::string, bool>> without_readonly_args(const std::string& xml, const std::vector<std::string>& ids);

}  // namespace memdomain::ctl
