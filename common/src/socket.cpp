#include "memdomain/sys/socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <endian.h>

namespace memdomain::sys {
namespace {

Result<sockaddr_un> make_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path)
        return make_error("socket path '" + path + "' is longer than " + std::to_string(sizeof a.sun_path - 1) +
                              " bytes",
                          ENAMETOOLONG);
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    return a;
}

Result<UniqueFd> new_stream_socket(int extra_flags) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0);
    if (fd < 0) return sys_error("socket(AF_UNIX)");
    return UniqueFd(fd);
}

bool someone_listens(const sockaddr_un& a) {
    auto s = new_stream_socket(0);
    if (!s) return false;
    return ::connect(s->get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

// Receives up to 8 - got bytes into buf+got; on the first byte also takes the fd.
Result<std::size_t> receive_part(int sock, unsigned char* buf, std::size_t got, UniqueFd& fd_out, int flags) {
    iovec iov{buf + got, 8 - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN) return std::size_t{0};
        return sys_error("recvmsg");
    }
    int fds_seen = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (fds_seen++ == 0 && !fd_out.valid())
                fd_out.reset(fd);
            else
                ::close(fd);  // never leak what a broken server pushed on us
        }
    }
    if (fds_seen > 1) return make_error("message carried " + std::to_string(fds_seen) + " fds", EPROTO);
    if (msg.msg_flags & MSG_CTRUNC) return make_error("truncated control message", EPROTO);
    if (n == 0) return make_error("connection closed by the server", ECONNRESET);
    return static_cast<std::size_t>(n);
}

// The kernel's SCM_MAX_FD: the most fds one message can carry.
constexpr std::size_t kMaxFdsPerMessage = 253;

// A datagram address: a path, or '@name' for the abstract namespace (no
// trailing NUL counted, as systemd and sd_notify do).
struct DatagramAddress {
    sockaddr_un addr{};
    socklen_t len = 0;
};

Result<DatagramAddress> make_datagram_address(const std::string& path) {
    DatagramAddress a;
    a.addr.sun_family = AF_UNIX;
    if (path.empty() || path == "@" || path.size() >= sizeof a.addr.sun_path)
        return make_error("datagram socket path '" + path + "' is empty or too long", ENAMETOOLONG);
    std::memcpy(a.addr.sun_path, path.data(), path.size());
    if (a.addr.sun_path[0] == '@') a.addr.sun_path[0] = '\0';
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    return a;
}

std::int64_t decode(const unsigned char* buf) {
    std::uint64_t le;
    std::memcpy(&le, buf, 8);
    return static_cast<std::int64_t>(le64toh(le));
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
    MD_ASSIGN_OR_RETURN(sockaddr_un a, make_address(path));
    MD_ASSIGN_OR_RETURN(UniqueFd s, new_stream_socket(SOCK_NONBLOCK));
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        if (errno != EADDRINUSE) return sys_error("bind " + path);
        if (someone_listens(a)) return make_error("bind " + path + ": a live server is listening there", EADDRINUSE);
        ::unlink(path.c_str());  // stale socket of a dead server
        if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return sys_error("bind " + path);
    }
    if (::listen(s.get(), backlog) != 0) return sys_error("listen " + path);
    return s;
}

Result<UniqueFd> connect_unix(const std::string& path) {
    MD_ASSIGN_OR_RETURN(sockaddr_un a, make_address(path));
    MD_ASSIGN_OR_RETURN(UniqueFd s, new_stream_socket(0));
    int r;
    do r = ::connect(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
    while (r != 0 && errno == EINTR);
    if (r != 0) return sys_error("connect " + path);
    return s;
}

Result<UniqueFd> accept_unix(int listen_fd) {
    for (;;) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) return UniqueFd(fd);
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN) return UniqueFd();
        return sys_error("accept4");
    }
}

Result<PeerCredentials> peer_credentials(int fd) {
    ucred c{};
    socklen_t len = sizeof c;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) return sys_error("getsockopt(SO_PEERCRED)");
    return PeerCredentials{c.pid, c.uid, c.gid};
}

Result<std::vector<gid_t>> peer_groups(int fd) {
    std::vector<gid_t> groups(64);
    for (;;) {
        socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return groups;
        }
        if (errno != ERANGE || groups.size() > 65536) return sys_error("getsockopt(SO_PEERGROUPS)");
        groups.resize(std::max<std::size_t>(len / sizeof(gid_t), groups.size() * 2));
    }
}

Result<std::size_t> send_message_part(int sock, std::int64_t value, int fd, std::size_t offset) {
    unsigned char buf[8];
    const std::uint64_t le = htole64(static_cast<std::uint64_t>(value));
    std::memcpy(buf, &le, 8);
    iovec iov{buf + offset, 8 - offset};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0 && offset == 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    for (;;) {
        ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return std::size_t{0};
        return sys_error("sendmsg");
    }
}

Status send_datagram(const std::string& path, std::string_view text) { return send_datagram_with_fds(path, text, {}); }

Status send_datagram_with_fds(const std::string& path, std::string_view text, const std::vector<int>& fds) {
    if (fds.size() > kMaxFdsPerMessage)
        return make_error("cannot attach " + std::to_string(fds.size()) + " fds to one datagram (at most " +
                              std::to_string(kMaxFdsPerMessage) + ")",
                          EINVAL);
    MD_ASSIGN_OR_RETURN(DatagramAddress a, make_datagram_address(path));
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sys_error("socket(AF_UNIX, SOCK_DGRAM)");
    UniqueFd s(fd);
    iovec iov{const_cast<char*>(text.data()), text.size()};
    std::vector<char> control(fds.empty() ? 0 : CMSG_SPACE(sizeof(int) * fds.size()));
    msghdr msg{};
    msg.msg_name = &a.addr;
    msg.msg_namelen = a.len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        // std::vector<char> storage comes from operator new: aligned for cmsghdr.
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        if (::sendmsg(s.get(), &msg, MSG_NOSIGNAL) >= 0) return {};
        if (errno != EINTR) return sys_error("sendmsg to " + path);
    }
}

Result<UniqueFd> bind_datagram(const std::string& path, bool pass_credentials) {
    MD_ASSIGN_OR_RETURN(DatagramAddress a, make_datagram_address(path));
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return sys_error("socket(AF_UNIX, SOCK_DGRAM)");
    UniqueFd s(fd);
    const int one = 1;
    if (pass_credentials && ::setsockopt(s.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        return sys_error("setsockopt(SO_PASSCRED)");
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0) return sys_error("bind " + path);
    return s;
}

Result<std::optional<Datagram>> receive_datagram_with_fds(int sock) {
    Datagram d;
    d.text.resize(kMaxDatagramText + 1);  // one byte more: a longer datagram is seen as truncated
    iovec iov{d.text.data(), d.text.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage) + CMSG_SPACE(sizeof(ucred))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN) return std::optional<Datagram>{};
        return sys_error("recvmsg");
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                d.fds.emplace_back(fd);  // owned at once: closed on every error path below
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
            ucred u;
            std::memcpy(&u, CMSG_DATA(c), sizeof u);
            d.sender = PeerCredentials{u.pid, u.uid, u.gid};
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        return make_error("datagram with truncated control data (more than " + std::to_string(kMaxFdsPerMessage) +
                              " fds?) dropped",
                          EPROTO);
    if (static_cast<std::size_t>(n) > kMaxDatagramText)
        return make_error("datagram of " + std::to_string(n) + " bytes (more than " +
                              std::to_string(kMaxDatagramText) + ") dropped",
                          EMSGSIZE);
    d.text.resize(static_cast<std::size_t>(n));
    return std::optional<Datagram>(std::move(d));
}

Result<bool> wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return sys_error("poll");
    }
}

Result<std::vector<int>> wait_any_readable(const std::vector<int>& fds, std::chrono::milliseconds timeout) {
    std::vector<pollfd> p;
    p.reserve(fds.size());
    for (int fd : fds) p.push_back({fd, POLLIN, 0});  // poll skips negative fds
    for (;;) {
        int r = ::poll(p.data(), p.size(), timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sys_error("poll");
        std::vector<int> ready;
        for (const pollfd& x : p)
            if (x.fd >= 0 && (x.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0) ready.push_back(x.fd);
        return ready;
    }
}

Result<Message> receive_message(int sock, std::chrono::milliseconds timeout) {
    unsigned char buf[8];
    std::size_t got = 0;
    Message m;
    while (got < 8) {
        MD_ASSIGN_OR_RETURN(bool ready, wait_readable(sock, timeout));
        if (!ready) return make_error("timed out waiting for the server", ETIMEDOUT);
        MD_ASSIGN_OR_RETURN(std::size_t n, receive_part(sock, buf, got, m.fd, MSG_DONTWAIT));
        got += n;
    }
    m.value = decode(buf);
    return m;
}

Result<std::optional<Message>> try_receive_message(int sock) {
    // Take a message only when all 8 bytes are there, so a caller never has to
    // keep half a message between calls.
    int avail = 0;
    if (::ioctl(sock, FIONREAD, &avail) != 0) return sys_error("ioctl(FIONREAD)");
    if (avail < 8) {
        if (avail == 0) {  // distinguish "nothing yet" from hang-up
            char c;
            ssize_t n = ::recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n == 0) return make_error("connection closed by the server", ECONNRESET);
            if (n < 0 && errno != EAGAIN && errno != EINTR) return sys_error("recv");
            return std::optional<Message>{};
        }
        // Part of a message: "not yet", unless the sender has closed its
        // side, after which the rest can never come. A peek would return
        // the pending bytes and hide the end of stream; poll reports it.
        pollfd p{sock, POLLIN | POLLRDHUP, 0};
        int r;
        do r = ::poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0) return sys_error("poll");
        if (p.revents & (POLLRDHUP | POLLHUP))
            return make_error("connection closed by the server in the middle of a message (" +
                                  std::to_string(avail) + " of 8 bytes)",
                              ECONNRESET);
        return std::optional<Message>{};
    }
    MD_ASSIGN_OR_RETURN(Message m, receive_message(sock, std::chrono::milliseconds(0)));
    return std::optional<Message>(std::move(m));
}

}  // namespace memdomain::sys
