// A listening UNIX socket on the event loop: bound, given its owner and
// mode, accepting in bounded batches (fairness against a connect flood),
// and unlinked again when it goes away. Domain sockets and the control
// socket are both one of these; what happens to an accepted connection is
// the owner's callback.
//
// Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM),
// accept fails while the connection stays queued, and a level-triggered
// epoll would wake the loop for it again at once: a busy loop at full CPU
// and a log line per turn. Instead the listener stops watching its socket,
// says so once, and retries on a descriptor-free deadline of the loop (50
// ms, doubling up to 1 s); the first accept that works again logs the end
// of the episode. Clients wait in the backlog meanwhile and are served
// once descriptors free up.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "io/event_loop.h"
#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::server {

// Who owns the socket file and who may connect (an ACL may decide the rest).
struct SocketOwnership {
    uid_t uid;
    gid_t gid;
    mode_t mode;
};

class Listener {
public:
    using OnAccept = std::function<void(sys::UniqueFd connection)>;

    Listener(EventLoop& loop, std::string path) : loop_(loop), path_(std::move(path)) {}
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Binds and listens (a stale socket file of a dead server is replaced, a
    // live one is EADDRINUSE), applies owner and mode, and from then on calls
    // `on_accept` for each new connection, at most `accepts_per_wakeup` per
    // loop turn.
    Status start(int backlog, const SocketOwnership& ownership, std::size_t accepts_per_wakeup, OnAccept on_accept);
    // A new listen backlog for connections still to come (a reload).
    Status set_backlog(int backlog);
    const std::string& path() const { return path_; }
    // Whether accepting is paused for lack of descriptors right now.
    bool paused() const { return paused_since_.has_value(); }

private:
    using Clock = std::chrono::steady_clock;
    void on_ready();
    void pause(const Error& why);
    void retry();

    EventLoop& loop_;
    std::string path_;
    sys::UniqueFd fd_;
    EventLoop::Token token_ = 0;
    std::size_t accepts_per_wakeup_ = 1;
    OnAccept on_accept_;
    std::optional<Clock::time_point> paused_since_;  // set during an episode of failed accepts
    std::chrono::milliseconds retry_delay_{0};
    EventLoop::Token retry_token_ = 0;
    std::size_t retries_ = 0;
};

}  // namespace memdomain::server
