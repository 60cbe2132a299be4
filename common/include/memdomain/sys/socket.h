// UNIX-socket system calls, wrapped once: listening, connecting, accepting,
// sending and receiving one int64 message with at most one fd, and asking the
// kernel who is on the other end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::sys {

// A SOCK_STREAM socket bound to `path` and listening, non-blocking, CLOEXEC.
// An existing socket file at `path` is removed first only if nobody answers
// on it (a stale file from a dead server); a live one is an EADDRINUSE error.
Result<UniqueFd> listen_unix(const std::string& path, int backlog);
// Connects to `path`; the returned socket is blocking and CLOEXEC.
Result<UniqueFd> connect_unix(const std::string& path);
// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; returns an invalid fd on EAGAIN.
Result<UniqueFd> accept_unix(int listen_fd);

// The kernel's view of the peer of a connected socket (SO_PEERCRED).
struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};
Result<PeerCredentials> peer_credentials(int fd);
// The peer's supplementary groups at connect time (SO_PEERGROUPS).
Result<std::vector<gid_t>> peer_groups(int fd);

// Sends bytes [offset, 8) of the little-endian int64 `value`, with `fd`
// attached when fd >= 0 and offset == 0. Returns how many bytes went (0 on
// EAGAIN). MSG_NOSIGNAL: a hung-up peer is an EPIPE error, never SIGPIPE.
Result<std::size_t> send_message_part(int sock, std::int64_t value, int fd, std::size_t offset);

// One received message.
struct Message {
    std::int64_t value = 0;
    UniqueFd fd;  // invalid when none was attached
};
// Reads exactly one message from a blocking (or ready) socket, waiting at
// most `timeout`. Errors: ETIMEDOUT, ECONNRESET on hang-up, EPROTO on a
// message with more than one fd or a truncated control message.
Result<Message> receive_message(int sock, std::chrono::milliseconds timeout);
// Non-blocking variant: nullopt when no complete message is ready.
Result<std::optional<Message>> try_receive_message(int sock);

// Sends one datagram to the AF_UNIX SOCK_DGRAM socket at `path` (a leading
// '@' names the abstract namespace, as systemd's NOTIFY_SOCKET may).
Status send_datagram(const std::string& path, std::string_view text);

// Waits until fd is readable; false on timeout. Negative timeout: forever.
Result<bool> wait_readable(int fd, std::chrono::milliseconds timeout);

}  // namespace memdomain::sys
