#include "io/listener.h"

#include <sys/epoll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "memdomain/sys/process.h"
#include "memdomain/sys/socket.h"

namespace memdomain::server {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{50};
constexpr std::chrono::milliseconds kLongestRetry{1000};

// Errors after which the connection is still queued and a retry may work.
bool out_of_resources(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

}  // namespace

Listener::~Listener() {
    if (retry_token_ != 0) loop_.remove(retry_token_);
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

Status Listener::set_backlog(int backlog) { return sys::set_listen_backlog(fd_.get(), backlog); }

void Listener::on_ready() {
    for (std::size_t i = 0; i < accepts_per_wakeup_; ++i) {
        auto s = sys::accept_unix(fd_.get());
        if (!s) {
            if (out_of_resources(s.error().sys)) {
                pause(s.error());
                return;
            }
            spdlog::warn("{}: {}", path_, s.error().message);
            return;
        }
        if (!s->valid()) return;
        if (paused_since_) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *paused_since_);
            spdlog::info("{}: accepting again after {} ms without descriptors ({} retries)", path_, ms.count(),
                         retries_);
            paused_since_.reset();
            retries_ = 0;
        }
        on_accept_(std::move(s).value());
    }
}

void Listener::pause(const Error& why) {
    // Stop watching: the queued connection would wake the loop at once, and
    // again, for as long as no descriptor is free.
    (void)loop_.modify(token_, 0);
    if (!paused_since_) {
        paused_since_ = Clock::now();
        retry_delay_ = kFirstRetry;
        spdlog::warn("{}: cannot accept ({}): clients wait in the backlog; retrying every {}-{} ms until "
                     "descriptors free up",
                     path_, why.message, kFirstRetry.count(), kLongestRetry.count());
    } else {
        retry_delay_ = std::min(retry_delay_ * 2, kLongestRetry);
    }
    ++retries_;
    retry_token_ = loop_.add_deadline(retry_delay_, [this] { retry(); });
}

void Listener::retry() {
    retry_token_ = 0;
    if (auto st = loop_.modify(token_, EPOLLIN); !st) spdlog::warn("{}: {}", path_, st.error().message);
    on_ready();
}

}  // namespace memdomain::server
