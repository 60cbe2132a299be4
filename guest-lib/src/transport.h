// The seam between libmemdomain's API (Domain) and the ways a domain reaches
// a process: a UNIX socket on a host (socket_transport.*) or ivshmem PCI
// devices in a VM (pci_transport.*). Internal: not installed.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/domain.h"

namespace memdomain::detail {

class Transport {
public:
    virtual ~Transport() = default;

    virtual TransportKind kind() const = 0;
    virtual InterruptMode interrupt_mode() const = 0;
    virtual const std::string& name() const = 0;
    virtual const std::vector<SegmentView>& segments() const = 0;
    virtual PeerId self() const = 0;
    virtual std::uint32_t vectors() const = 0;
    virtual std::uint64_t generation() const = 0;

    // Applies pending joins/leaves; appends them to `out` when not null.
    virtual Status process_events(std::vector<PeerEvent>* out) = 0;
    virtual std::vector<PeerId> peers() const = 0;
    virtual Status notify(PeerId peer, std::uint32_t vector) = 0;
    virtual Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout) = 0;
    virtual int doorbell_fd(std::uint32_t vector) const = 0;
    virtual int event_fd() const = 0;
    // false for a read-only observer (self() is then kNoPeerId).
    virtual bool has_peer_id() const { return true; }
    // The background reader's Linux thread id, or -1 when there is none.
    virtual int reader_tid() const { return -1; }
};

// Each returns ENOENT when the domain is not offered by that transport, so
// Auto can try the next one; any other error is final.
Result<std::unique_ptr<Transport>> open_socket_transport(std::string_view name, const OpenOptions& o);
Result<std::unique_ptr<Transport>> open_pci_transport(std::string_view name, const OpenOptions& o);
// Listings per transport; an absent directory is an empty list, not an error.
Result<std::vector<DomainListing>> list_socket_domains(const OpenOptions& o);
// `with_problems`: also one entry per ivshmem device that carries no valid
// domain, its `problem` saying why.
Result<std::vector<DomainListing>> list_pci_domains(const OpenOptions& o, bool with_problems = false);

}  // namespace memdomain::detail
