// UNIX-socket system calls, wrapped once: listening, connecting, accepting,
// sending and receiving one int64 message with at most one fd, and asking the
// kernel who is on the other end; and datagrams (systemd's notify protocol):
// text with fds attached, and the sender's credentials on the receiving side.
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
// ECONNRESET once the other side has closed, also when 1..7 bytes of a
// message it never finished are still pending (they are left unread).
Result<std::optional<Message>> try_receive_message(int sock);

// Sends one datagram to the AF_UNIX SOCK_DGRAM socket at `path` (a leading
// '@' names the abstract namespace, as systemd's NOTIFY_SOCKET may).
Status send_datagram(const std::string& path, std::string_view text);

// Sends one datagram like send_datagram, with `fds` attached (SCM_RIGHTS,
// at most 253, the kernel's SCM_MAX_FD). The receiver gets duplicates; the
// caller's fds stay open. Blocks while the receiver's queue is full, like
// sd_notify. EINVAL for a bad fd or too many fds.
Status send_datagram_with_fds(const std::string& path, std::string_view text, const std::vector<int>& fds);

// An AF_UNIX SOCK_DGRAM socket bound to `path` ('@name': abstract namespace,
// no file), non-blocking and CLOEXEC. With `pass_credentials`, SO_PASSCRED
// is set so that every received datagram carries its sender's pid, uid and
// gid as the kernel saw them. A filesystem path that already exists is an
// EADDRINUSE error (nothing is removed).
Result<UniqueFd> bind_datagram(const std::string& path, bool pass_credentials);

// One received datagram and what the kernel attached to it.
struct Datagram {
    std::string text;
    std::vector<UniqueFd> fds;               // SCM_RIGHTS, received CLOEXEC
    std::optional<PeerCredentials> sender;   // SCM_CREDENTIALS (needs SO_PASSCRED)
};
// The longest datagram text receive_datagram_with_fds accepts (systemd's
// limit for notify messages too).
inline constexpr std::size_t kMaxDatagramText = 4096;
// Receives one datagram without waiting; nullopt when none is queued. A
// datagram longer than kMaxDatagramText is an EMSGSIZE error, one whose
// control data did not fit (more than 253 fds) is EPROTO; either way that
// datagram is consumed and every fd it carried is closed, so the caller may
// log and go on receiving.
Result<std::optional<Datagram>> receive_datagram_with_fds(int sock);

// Waits until fd is readable; false on timeout. Negative timeout: forever.
Result<bool> wait_readable(int fd, std::chrono::milliseconds timeout);
// Waits until at least one of `fds` is readable (or hung up) and returns
// those that are, in the order given; empty on timeout. Negative entries are
// skipped. Negative timeout: forever.
Result<std::vector<int>> wait_any_readable(const std::vector<int>& fds, std::chrono::milliseconds timeout);

}  // namespace memdomain::sys
