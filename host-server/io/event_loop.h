// A single-threaded epoll loop. Every fd the server watches (listening
// sockets, peer connections, the signalfd) is registered with a callback;
// a callback may add or remove registrations, its own included, safely.
// Deadlines (add_deadline) need no descriptor at all: they are the timeout
// of epoll_wait, so they still work when the process has none left.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::server {

class EventLoop {
public:
    using Callback = std::function<void(std::uint32_t epoll_events)>;
    using Token = std::uint64_t;

    static Result<EventLoop> create();

    // Watches fd for `events` (EPOLLIN, EPOLLOUT, ...). The fd stays owned by
    // the caller and must outlive the registration.
    Result<Token> add(int fd, std::uint32_t events, Callback cb);
    Status modify(Token token, std::uint32_t events);
    void remove(Token token);

    // Calls `cb` once after `delay` (or every `delay` when `periodic`); the
    // token cancels it with remove(). A one-shot timer is removed before its
    // callback runs.
    Result<Token> add_timer(std::chrono::milliseconds delay, std::function<void()> cb, bool periodic = false);
    // Calls `cb` once, no sooner than `delay` from now, without a
    // descriptor (the loop wakes from epoll_wait for it), so it cannot fail:
    // what retries after EMFILE uses this. remove() cancels it.
    Token add_deadline(std::chrono::milliseconds delay, std::function<void()> cb);
    // Runs `cb` after the callbacks of the current wake-up: for work that
    // must not happen inside the caller's stack (freeing the object whose
    // callback is running).
    void defer(std::function<void()> cb) { deferred_.push_back(std::move(cb)); }

    // Runs until stop() is called. Returns an error only if epoll fails.
    Status run();
    void stop() { running_ = false; }

private:
    struct Entry {
        int fd;
        Callback cb;
        std::shared_ptr<sys::UniqueFd> owned;  // a timer's fd, closed with the entry
    };
    using Clock = std::chrono::steady_clock;
    void run_deferred();
    // epoll_wait's timeout for the earliest deadline (-1: none).
    int wait_timeout_ms() const;
    void run_due_deadlines();
    explicit EventLoop(sys::UniqueFd ep) : ep_(std::move(ep)) {}
    sys::UniqueFd ep_;
    std::unordered_map<Token, Entry> entries_;
    std::map<Token, std::pair<Clock::time_point, std::function<void()>>> deadlines_;
    std::set<std::pair<Clock::time_point, Token>> deadline_order_;
    Token next_token_ = 1;
    std::vector<std::function<void()>> deferred_;
    bool running_ = false;
};

}  // namespace memdomain::server
