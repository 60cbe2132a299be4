// A listening UNIX socket on the event loop: bound, given its owner and
// mode, accepting in bounded batches (fairness against a connect flood),
// and unlinked again when it goes away. Domain sockets and the control
// socket are both one of these; what happens to an accepted connection is
// the owner's callback.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
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
    // loop turn. Running out of fds is logged; the backlog keeps the rest.
    Status start(int backlog, const SocketOwnership& ownership, std::size_t accepts_per_wakeup, OnAccept on_accept);
    const std::string& path() const { return path_; }

private:
    void on_ready();

    EventLoop& loop_;
    std::string path_;
    sys::UniqueFd fd_;
    EventLoop::Token token_ = 0;
    std::size_t accepts_per_wakeup_ = 1;
    OnAccept on_accept_;
};

}  // namespace memdomain::server
