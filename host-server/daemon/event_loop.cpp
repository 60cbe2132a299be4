#include "daemon/event_loop.h"

#include <sys/epoll.h>

namespace memdomain::server {

Result<EventLoop> EventLoop::create() {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return sys_error("epoll_create1");
    return EventLoop(sys::UniqueFd(fd));
}

Result<EventLoop::Token> EventLoop::add(int fd, std::uint32_t events, Callback cb) {
    const Token t = next_token_++;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = t;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return sys_error("epoll_ctl(ADD)");
    entries_.emplace(t, Entry{fd, std::move(cb)});
    return t;
}

Status EventLoop::modify(Token token, std::uint32_t events) {
    auto it = entries_.find(token);
    if (it == entries_.end()) return make_error("epoll: unknown registration", ENOENT);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, it->second.fd, &ev) != 0) return sys_error("epoll_ctl(MOD)");
    return {};
}

void EventLoop::remove(Token token) {
    auto it = entries_.find(token);
    if (it == entries_.end()) return;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, it->second.fd, nullptr);
    entries_.erase(it);
}

Status EventLoop::run() {
    running_ = true;
    epoll_event events[64];
    while (running_) {
        int n = ::epoll_wait(ep_.get(), events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("epoll_wait");
        }
        for (int i = 0; i < n && running_; ++i) {
            // Look the token up again for each event: an earlier callback in
            // this batch may have removed it (a peer that left).
            auto it = entries_.find(events[i].data.u64);
            if (it == entries_.end()) continue;
            Callback cb = it->second.cb;  // copy: the callback may remove itself
            cb(events[i].events);
        }
    }
    return {};
}

}  // namespace memdomain::server
