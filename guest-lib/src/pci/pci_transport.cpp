// Implementation of pci_transport.h.
#include "pci/pci_transport.h"

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"
#include "pci/mailbox_wait.h"
#include "segment_mapping.h"

namespace memdomain::pci {

PciTransport::PciTransport(std::string name, std::vector<PciSegment> segments, PeerId self, InterruptMode mode)
    : name_(std::move(name)), segments_(std::move(segments)), self_(self), mode_(mode) {
    for (const PciSegment& s : segments_) views_.push_back(detail::segment_view(s.header, s.memory.bytes(), s.access));
    presence_ = PresenceTracker(live_header(), header().max_peers, self_);
    for (std::uint32_t v = 0; v < header().vectors; ++v) last_seen_.push_back(load_mailbox(mailbox(self_, v)));
}

std::uint64_t* PciTransport::mailbox(PeerId peer, std::uint32_t vector) const {
    // Offsets come from the validated copy, never from the live header.
    return mailbox_word(segments_.front().memory.data(), header(), peer, vector);
}

Status PciTransport::process_events(std::vector<PeerEvent>* out) {
    presence_.update(out);
    return {};
}

Status PciTransport::notify(PeerId peer, std::uint32_t vector) {
    if (vector >= header().vectors)
        return make_error("domain " + name_ + ": vector " + std::to_string(vector) + " out of range (it has " +
                              std::to_string(header().vectors) + ")",
                          EINVAL);
    if (peer >= header().max_peers || !header_is_present(live_header(), peer))
        return make_error("domain " + name_ + ": peer " + std::to_string(peer) + " is not attached", ENOENT);
    if (segments_.front().access != Access::ReadWrite)
        return make_error("domain " + name_ + " is read-only here: cannot ring peers", EACCES);
    bump_mailbox(mailbox(peer, vector));
    return segments_.front().registers.write32(ivshmem::kRegDoorbell, ivshmem::doorbell_value(peer, vector));
}

Result<std::uint64_t> PciTransport::wait(std::uint32_t vector, std::chrono::milliseconds timeout) {
    if (vector >= header().vectors)
        return make_error("domain " + name_ + ": vector " + std::to_string(vector) + " out of range", EINVAL);
    if (mode_ == InterruptMode::VfioMsix) {
        const int fd = doorbell_fd(vector);
        MD_ASSIGN_OR_RETURN(bool ready, sys::wait_readable(fd, timeout));
        if (!ready) return std::uint64_t{0};
        return sys::eventfd_drain(fd);
    }
    return wait_mailbox(mailbox(self_, vector), last_seen_[vector], timeout);
}

int PciTransport::doorbell_fd(std::uint32_t vector) const {
    if (mode_ != InterruptMode::VfioMsix || !segments_.front().vfio) return -1;
    return segments_.front().vfio->irq_eventfd(vector);
}

}  // namespace memdomain::pci
