// The pci transport: a domain inside a VM, reached through one ivshmem
// device per segment. Segment 0's device carries the doorbells: IVPosition
// (BAR0+8) is our peer id, a write of (peer << 16 | vector) to BAR0+12 rings
// a peer, and presence comes from segment 0's header. Before ringing, notify
// bumps the target's mailbox word so that guests without interrupts (no
// vfio) can poll for it; with vfio-pci, wait() sleeps on MSI-X eventfds.
//
// When segment 0 is on an ivshmem-plain device (the read-only VM attach)
// there are no registers and no peer id: the domain is a read-only observer
// (has_peer_id() false, InterruptMode::None), notify and wait are ENOTSUP.
//
// Joins and leaves come from the presence bitmap (and, when the server keeps
// them, the per-id join epochs, which reveal an id taken over by a new peer
// between two looks) into the same coalesced record as the socket
// transport's (peer_changes.h): peers() never swallows what events() has yet
// to report.
//
// Opening and listing live in pci_open.cpp; this class only runs an opened domain.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "peer_changes.h"

#include "pci/pci_segment.h"
#include "pci/presence_tracker.h"
#include "transport.h"

namespace memdomain::pci {

class PciTransport final : public detail::Transport {
public:
    // `segments` in index order, complete, segment 0 with registers attached
    // unless `self` is empty (an observer: InterruptMode::None).
    PciTransport(std::string name, std::vector<PciSegment> segments, std::optional<PeerId> self, InterruptMode mode);

    TransportKind kind() const override { return TransportKind::Pci; }
    InterruptMode interrupt_mode() const override { return mode_; }
    const std::string& name() const override { return name_; }
    const std::vector<SegmentView>& segments() const override { return views_; }
    PeerId self() const override { return self_.value_or(kNoPeerId); }
    bool has_peer_id() const override { return self_.has_value(); }
    std::uint32_t vectors() const override { return header().vectors; }
    std::uint64_t generation() const override { return header().generation; }

    Status process_events(std::vector<PeerEvent>* out) override;
    std::vector<PeerId> peers() const override { return presence_.peers(); }
    Status notify(PeerId peer, std::uint32_t vector) override;
    Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout) override;
    int doorbell_fd(std::uint32_t vector) const override;
    int event_fd() const override { return -1; }  // presence lives in memory: nothing to poll

private:
    const SegmentHeader& header() const { return segments_.front().header; }
    const SegmentHeader* live_header() const {
        return static_cast<const SegmentHeader*>(segments_.front().memory.data());
    }
    std::uint64_t* mailbox(PeerId peer, std::uint32_t vector) const;
    // ENOTSUP for an observer, saying it cannot do `what`.
    Error observer_error(const char* what) const;

    std::string name_;
    std::vector<PciSegment> segments_;
    std::vector<SegmentView> views_;
    std::optional<PeerId> self_;
    InterruptMode mode_;
    PresenceTracker presence_;
    detail::PeerChanges changes_;
    std::vector<std::uint64_t> last_seen_;  // polling mode: our mailbox word per vector
};

}  // namespace memdomain::pci
