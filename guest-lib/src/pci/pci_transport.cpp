// Implementation of pci_transport.h.
#include "pci/pci_transport.h"

#include <algorithm>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"
#include "pci/mailbox_wait.h"
#include "segment_mapping.h"

namespace memdomain::pci {

PciTransport::PciTransport(std::string name, std::vector<PciSegment> segments, std::optional<PeerId> self,
                           InterruptMode mode)
    : name_(std::move(name)), segments_(std::move(segments)), self_(self), mode_(mode) {
    for (const PciSegment& s : segments_) views_.push_back(detail::segment_view(s.header, s.memory.bytes(), s.access));
    presence_ = PresenceTracker(live_header(), header(), self_.value_or(kNoPeerId), changes_);
    if (self_)
        for (std::uint32_t v = 0; v < header().vectors; ++v) last_seen_.push_back(load_mailbox(mailbox(*self_, v)));
}

std::uint64_t* PciTransport::mailbox(PeerId peer, std::uint32_t vector) const {
    // Offsets come from the validated copy, never from the live header.
    return mailbox_word(segments_.front().memory.data(), header(), peer, vector);
}

Status PciTransport::process_events(std::vector<PeerEvent>* out) {
    presence_.update(changes_);
    if (out != nullptr) {
        auto taken = changes_.take();
        out->insert(out->end(), taken.begin(), taken.end());
    }
    return {};
}

Error PciTransport::observer_error(const char* what) const {
    return make_error("domain " + name_ + " is attached through ivshmem-plain on " + segments_.front().device.address +
                          " (the read-only VM attach): a read-only observer without a peer id or doorbells cannot " +
                          what,
                      ENOTSUP);
}

Status PciTransport::notify(PeerId peer, std::uint32_t vector) {
    if (vector >= header().vectors)
        return make_error("domain " + name_ + ": vector " + std::to_string(vector) + " out of range (it has " +
                              std::to_string(header().vectors) + ")",
                          EINVAL);
    if (!self_) return observer_error("ring peers");
    if (peer >= header().max_peers || !header_is_present(live_header(), peer))
        return make_error("domain " + name_ + ": peer " + std::to_string(peer) + " is not attached", ENOENT);
    if (segments_.front().access != Access::ReadWrite)
        return make_error("domain " + name_ + ": this guest attached read-only: it cannot ring peers (a read-only "
                          "mapping cannot bump the mailbox word that guests without interrupts watch)",
                          EACCES);
    bump_mailbox(mailbox(peer, vector));
    return segments_.front().registers.write32(ivshmem::kRegDoorbell, ivshmem::doorbell_value(peer, vector));
}

Result<std::uint64_t> PciTransport::wait(std::uint32_t vector, std::chrono::milliseconds timeout) {
    if (vector >= header().vectors)
        return make_error("domain " + name_ + ": vector " + std::to_string(vector) + " out of range", EINVAL);
    if (!self_) return observer_error("wait for doorbells");
    if (mode_ == InterruptMode::VfioMsix) {
        const int fd = doorbell_fd(vector);
        MD_ASSIGN_OR_RETURN(bool ready, sys::wait_readable(fd, timeout));
        if (!ready) return std::uint64_t{0};
        MD_ASSIGN_OR_RETURN(std::uint64_t n, sys::eventfd_drain(fd));
        return std::min(n, kMaxWaitCount);
    }
    // wait_mailbox bounds what it derives from the peer-writable word.
    return wait_mailbox(mailbox(*self_, vector), last_seen_[vector], timeout);
}

int PciTransport::doorbell_fd(std::uint32_t vector) const {
    if (mode_ != InterruptMode::VfioMsix || !segments_.front().vfio) return -1;
    return segments_.front().vfio->irq_eventfd(vector);
}

}  // namespace memdomain::pci
