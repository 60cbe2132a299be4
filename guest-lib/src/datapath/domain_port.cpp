// The DomainPort over a memdomain::Domain.
#include "domain_port.h"

#include <mutex>

namespace memdomain::detail {
namespace {

class DomainPortImpl final : public DomainPort {
public:
    explicit DomainPortImpl(Domain& d) : d_(d) {}
    const SegmentView& segment0() const override { return d_.segments().front(); }
    PeerId self() const override { return d_.self(); }
    std::uint32_t vectors() const override { return d_.vectors(); }
    Result<SegmentHeader> header() const override { return d_.header(); }
    // A peer that joined a moment ago may not be in our table yet (the
    // server's join message is still unread): read pending joins, try again.
    // Serialised: channels of one DataArea may ring from several threads.
    Status notify(PeerId peer, std::uint32_t vector) override {
        std::lock_guard lock(notify_mutex_);
        auto st = d_.notify(peer, vector);
        if (st || st.error().sys != ENOENT) return st;
        (void)d_.peers();
        return d_.notify(peer, vector);
    }
    Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout) override {
        return d_.wait(vector, timeout);
    }
    int doorbell_fd(std::uint32_t vector) const override { return d_.doorbell_fd(vector); }

private:
    Domain& d_;
    std::mutex notify_mutex_;
};

}  // namespace

std::unique_ptr<DomainPort> make_domain_port(Domain& domain) { return std::make_unique<DomainPortImpl>(domain); }

}  // namespace memdomain::detail
