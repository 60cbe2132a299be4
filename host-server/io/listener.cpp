#include "io/listener.h"

#include <sys/epoll.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "memdomain/sys/process.h"
#include "memdomain/sys/socket.h"

namespace memdomain::server {

Listener::~Listener() {
    if (token_ != 0) loop_.remove(token_);
    std::error_code ec;
    if (fd_.valid()) std::filesystem::remove(path_, ec);
}

Status Listener::start(int backlog, const SocketOwnership& ownership, std::size_t accepts_per_wakeup,
                       OnAccept on_accept) {
    MD_ASSIGN_OR_RETURN(fd_, sys::listen_unix(path_, backlog));
    MD_TRY(sys::set_owner(path_, ownership.uid, ownership.gid));
    MD_TRY(sys::set_mode(path_, ownership.mode));
    accepts_per_wakeup_ = accepts_per_wakeup;
    on_accept_ = std::move(on_accept);
    MD_ASSIGN_OR_RETURN(token_, loop_.add(fd_.get(), EPOLLIN, [this](std::uint32_t) { on_ready(); }));
    return {};
}

void Listener::on_ready() {
    for (std::size_t i = 0; i < accepts_per_wakeup_; ++i) {
        auto s = sys::accept_unix(fd_.get());
        if (!s) {
            // EMFILE/ENFILE: out of fds. Say so; the backlog holds the rest.
            spdlog::warn("{}: {}", path_, s.error().message);
            return;
        }
        if (!s->valid()) return;
        on_accept_(std::move(s).value());
    }
}

}  // namespace memdomain::server
