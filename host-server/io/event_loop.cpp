#include "io/event_loop.h"

#include <sys/epoll.h>

#include "memdomain/sys/timerfd.h"

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
    entries_.emplace(t, Entry{fd, std::move(cb), nullptr});
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

Result<EventLoop::Token> EventLoop::add_timer(std::chrono::milliseconds delay, std::function<void()> cb,
                                             bool periodic) {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd tfd, sys::timerfd_start(delay, periodic));
    auto owned = std::make_shared<sys::UniqueFd>(std::move(tfd));
    const int fd = owned->get();
    const Token t = next_token_;
    auto fire = [this, t, fd, periodic, cb = std::move(cb)](std::uint32_t) {
        auto n = sys::timerfd_drain(fd);
        if (!n || *n == 0) return;
        if (!periodic) {
            auto keep = cb;  // remove() destroys this lambda
            remove(t);
            keep();
            return;
        }
        cb();
    };
    MD_ASSIGN_OR_RETURN(Token added, add(fd, EPOLLIN, std::move(fire)));
    entries_.at(added).owned = std::move(owned);
    return added;
}

void EventLoop::run_deferred() {
    // A deferred call may defer more: run until none is left.
    while (!deferred_.empty()) {
        auto batch = std::move(deferred_);
        deferred_.clear();
        for (auto& f : batch) f();
    }
}

Status EventLoop::run() {
    running_ = true;
    epoll_event events[64];
    while (running_) {
        run_deferred();  // what was deferred before run() or by a stop()ped turn
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
        run_deferred();
    }
    return {};
}

}  // namespace memdomain::server
