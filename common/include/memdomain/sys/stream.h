// Byte-stream I/O on a connected UNIX socket, for the control plane's
// newline-delimited JSON (the ivshmem wrappers in memdomain/sys/socket.h move
// one int64 with an fd; these move plain bytes). Errors as values; EAGAIN is
// "0 bytes", never an error. MSG_NOSIGNAL throughout: a hung-up peer is an
// EPIPE error, never SIGPIPE.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "memdomain/common/result.h"

namespace memdomain::sys {

// What one non-blocking read saw.
struct ReadOutcome {
    std::size_t bytes = 0;  // appended to the buffer
    bool eof = false;       // the peer shut its writing side down (or closed)
};

// Appends at most `max` available bytes to `buf` without blocking.
Result<ReadOutcome> read_some(int fd, std::string& buf, std::size_t max);
// Sends as much of `data` as the socket takes now; how much went.
Result<std::size_t> write_some(int fd, std::string_view data);

// Blocking helpers for clients: send all of `data` / read one '\n'-ended line
// (without the '\n'), each within `timeout`. ETIMEDOUT when the time runs
// out; ECONNRESET when the server hangs up first; E2BIG past `max_line`.
Status write_all(int fd, std::string_view data, std::chrono::milliseconds timeout);
Result<std::string> read_line(int fd, std::string& pending, std::size_t max_line, std::chrono::milliseconds timeout);

}  // namespace memdomain::sys
