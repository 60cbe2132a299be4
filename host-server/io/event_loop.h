// A single-threaded epoll loop. Every fd the server watches (listening
// sockets, peer connections, the signalfd) is registered with a callback;
// a callback may add or remove registrations, its own included, safely.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
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
    void run_deferred();
    explicit EventLoop(sys::UniqueFd ep) : ep_(std::move(ep)) {}
    sys::UniqueFd ep_;
    std::unordered_map<Token, Entry> entries_;
    Token next_token_ = 1;
    std::vector<std::function<void()>> deferred_;
    bool running_ = false;
};

}  // namespace memdomain::server
