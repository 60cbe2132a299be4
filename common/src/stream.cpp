#include "memdomain/sys/stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace memdomain::sys {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until `deadline`; false on timeout.
Result<bool> wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error("poll");
        return n > 0;
    }
}

}  // namespace

Result<ReadOutcome> read_some(int fd, std::string& buf, std::size_t max) {
    ReadOutcome out;
    char chunk[4096];
    while (out.bytes < max) {
        const std::size_t want = std::min(sizeof chunk, max - out.bytes);
        ssize_t n = ::recv(fd, chunk, want, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return sys_error("recv");
        }
        if (n == 0) {
            out.eof = true;
            break;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
        out.bytes += static_cast<std::size_t>(n);
    }
    return out;
}

Result<std::size_t> write_some(int fd, std::string_view data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return sys_error("send");
        }
        sent += static_cast<std::size_t>(n);
    }
    return sent;
}

Status write_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
        MD_ASSIGN_OR_RETURN(std::size_t n, write_some(fd, data));
        data.remove_prefix(n);
        if (data.empty()) break;
        MD_ASSIGN_OR_RETURN(bool ready, wait_for(fd, POLLOUT, deadline));
        if (!ready) return make_error("timed out sending the request", ETIMEDOUT);
    }
    return {};
}

Result<std::string> read_line(int fd, std::string& pending, std::size_t max_line, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (auto nl = pending.find('\n'); nl != std::string::npos) {
            std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            return line;
        }
        if (pending.size() > max_line)
            return make_error("reply line longer than " + std::to_string(max_line) + " bytes", E2BIG);
        MD_ASSIGN_OR_RETURN(bool ready, wait_for(fd, POLLIN, deadline));
        if (!ready) return make_error("no reply within " + std::to_string(timeout.count()) + " ms", ETIMEDOUT);
        MD_ASSIGN_OR_RETURN(ReadOutcome r, read_some(fd, pending, max_line + 1));
        if (r.eof && pending.find('\n') == std::string::npos)
            return make_error("the server closed the connection before replying", ECONNRESET);
    }
}

}  // namespace memdomain::sys
