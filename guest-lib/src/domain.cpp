// Domain: the public face of a transport. Chooses the transport, then
// forwards; the only logic here is the choice and the convenience accessors.
#include "memdomain/domain.h"

#include "memdomain/common/names.h"
#include "transport.h"

namespace memdomain {

std::string_view to_string(Access a) { return a == Access::ReadWrite ? "R/W" : "R/O"; }

std::string_view to_string(TransportKind t) {
    switch (t) {
        case TransportKind::Auto: return "auto";
        case TransportKind::Socket: return "socket";
        case TransportKind::Pci: return "pci";
    }
    return "?";
}

std::string_view to_string(InterruptMode m) {
    switch (m) {
        case InterruptMode::Eventfd: return "eventfd";
        case InterruptMode::VfioMsix: return "vfio-msix";
        case InterruptMode::Polling: return "polling";
        case InterruptMode::None: return "none";
    }
    return "?";
}

std::string_view to_string(InstanceKind k) {
    switch (k) {
        case InstanceKind::Shared: return "shared";
        case InstanceKind::Local: return "local";
        case InstanceKind::Numa: return "numa";
    }
    return "?";
}

Result<Domain> Domain::open(std::string_view name, const OpenOptions& options) {
    MD_TRY(validate_domain_name(name));
    if (options.transport == TransportKind::Socket || options.transport == TransportKind::Pci) {
        auto t = options.transport == TransportKind::Socket ? detail::open_socket_transport(name, options)
                                                            : detail::open_pci_transport(name, options);
        if (!t) return std::move(t).error();
        return Domain(std::move(t).value());
    }
    auto s = detail::open_socket_transport(name, options);
    if (s) return Domain(std::move(s).value());
    if (s.error().sys != ENOENT) return std::move(s).error();
    auto p = detail::open_pci_transport(name, options);
    if (p) return Domain(std::move(p).value());
    if (p.error().sys != ENOENT) return std::move(p).error();
    return make_error("domain '" + std::string(name) + "' not found: " + s.error().message + "; " +
                          p.error().message,
                      ENOENT);
}

namespace {

Result<std::vector<DomainListing>> list(const OpenOptions& options, bool with_problems) {
    std::vector<DomainListing> all;
    if (options.transport != TransportKind::Pci) {
        MD_ASSIGN_OR_RETURN(auto s, detail::list_socket_domains(options));
        all.insert(all.end(), s.begin(), s.end());
    }
    if (options.transport != TransportKind::Socket) {
        MD_ASSIGN_OR_RETURN(auto p, detail::list_pci_domains(options, with_problems));
        all.insert(all.end(), p.begin(), p.end());
    }
    return all;
}

}  // namespace

Result<std::vector<DomainListing>> list_domains(const OpenOptions& options) { return list(options, false); }

Result<std::vector<DomainListing>> list_domains_and_problems(const OpenOptions& options) {
    return list(options, true);
}

Domain::Domain(std::unique_ptr<detail::Transport> t) : t_(std::move(t)) {}
Domain::Domain(Domain&&) noexcept = default;
Domain& Domain::operator=(Domain&&) noexcept = default;
Domain::~Domain() = default;

std::string_view Domain::name() const { return t_->name(); }
TransportKind Domain::transport() const { return t_->kind(); }
InterruptMode Domain::interrupt_mode() const { return t_->interrupt_mode(); }
void* Domain::data() const { return t_->segments().front().data; }
std::size_t Domain::data_size() const { return t_->segments().front().data_size; }
std::uint64_t Domain::page_size() const { return t_->segments().front().page_size; }
Access Domain::access() const { return t_->segments().front().access; }
const std::vector<SegmentView>& Domain::segments() const { return t_->segments(); }
std::uint64_t Domain::generation() const { return t_->generation(); }

Result<SegmentHeader> Domain::header() const {
    const SegmentView& s = t_->segments().front();
    return validate_segment_header(s.base, s.size);
}

PeerId Domain::self() const { return t_->has_peer_id() ? t_->self() : kNoPeerId; }
bool Domain::has_peer_id() const { return t_->has_peer_id(); }
std::optional<PeerId> Domain::peer_id() const {
    if (!t_->has_peer_id()) return std::nullopt;
    return t_->self();
}
int Domain::reader_tid() const { return t_->reader_tid(); }
std::uint32_t Domain::vectors() const { return t_->vectors(); }

std::vector<PeerId> Domain::peers() {
    (void)t_->process_events(nullptr);  // a broken connection leaves the last known set
    return t_->peers();
}

std::vector<PeerEvent> Domain::events() {
    std::vector<PeerEvent> out;
    (void)t_->process_events(&out);
    return out;
}

Status Domain::refresh() { return t_->process_events(nullptr); }

Status Domain::notify(PeerId peer, std::uint32_t vector) { return t_->notify(peer, vector); }
Result<std::uint64_t> Domain::wait(std::uint32_t vector, std::chrono::milliseconds timeout) {
    return t_->wait(vector, timeout);
}
int Domain::doorbell_fd(std::uint32_t vector) const { return t_->doorbell_fd(vector); }
int Domain::event_fd() const { return t_->event_fd(); }

}  // namespace memdomain
