// The client side of the ivshmem server protocol's initial burst: version,
// own id, the shared-memory fd, then every peer's eventfds and our own, up
// to the point where our own id has arrived once per vector. Everything the
// server sends is checked; anything unexpected is a clear EPROTO error.
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/names.h"
#include "memdomain/sys/socket.h"
#include "socket_transport.h"

namespace memdomain::detail {
namespace {

using Clock = std::chrono::steady_clock;

Error protocol_error(const std::string& path, const std::string& what) {
    return make_error(path + ": ivshmem protocol error: " + what, EPROTO);
}

// Receives the next message, with what is left of the overall deadline.
Result<sys::Message> next(int sock, Clock::time_point deadline, const std::string& path, const char* waiting_for) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    auto m = sys::receive_message(sock, left);
    if (!m) {
        Error e = std::move(m).error();
        e.message = path + ": while waiting for " + waiting_for + ": " + e.message;
        return e;
    }
    return m;
}

// Maps the segment read-only, validates its header, then upgrades to a
// read-write mapping when the header allows it and the fd is writable (an
// O_RDONLY fd refuses PROT_WRITE with EACCES: that is how a read-only grant
// shows).
Status map_segment(int memfd, std::string_view name, const std::string& path, SocketHandshake& h) {
    MD_ASSIGN_OR_RETURN(std::uint64_t size, sys::fd_size(memfd));
    if (size < kHeaderAreaSize)
        return make_error(path + ": shared memory of " + std::to_string(size) + " bytes cannot hold a segment header",
                          EINVAL);
    MD_ASSIGN_OR_RETURN(h.mapping, sys::map_shared(memfd, size, sys::Protection::ReadOnly));
    auto header = validate_segment_header(h.mapping.data(), size);
    if (!header) return make_error(path + ": " + header.error().message, EINVAL);
    h.header = *header;
    if (header_domain_name(h.header) != name)
        return make_error(path + ": the segment belongs to domain '" + std::string(header_domain_name(h.header)) +
                              "', not '" + std::string(name) + "'",
                          EINVAL);
    if (h.header.segment_index != 0)
        return make_error(path + ": expected segment 0, the server sent segment " +
                              std::to_string(h.header.segment_index),
                          EINVAL);
    h.access = Access::ReadOnly;
    if (h.header.access == static_cast<std::uint32_t>(SegmentAccess::ReadWrite)) {
        auto rw = sys::map_shared(memfd, size, sys::Protection::ReadWrite);
        if (rw) {
            h.mapping = std::move(rw).value();
            h.access = Access::ReadWrite;
        } else if (rw.error().sys != EACCES && rw.error().sys != EPERM) {
            return make_error(path + ": " + rw.error().message, rw.error().sys);
        }
    }
    return {};
}

// Peers' and our own eventfds until our own id has come `vectors` times.
Status receive_eventfds(int sock, Clock::time_point deadline, const std::string& path, SocketHandshake& h) {
    const std::uint32_t vectors = h.header.vectors;
    while (h.own_fds.size() < vectors) {
        MD_ASSIGN_OR_RETURN(sys::Message m, next(sock, deadline, path, "the peer eventfds"));
        if (m.value < 0 || m.value >= static_cast<std::int64_t>(h.header.max_peers))
            return protocol_error(path, "peer id " + std::to_string(m.value) + " outside 0.." +
                                            std::to_string(h.header.max_peers - 1));
        const auto id = static_cast<PeerId>(m.value);
        if (id == h.self) {
            if (!m.fd) return protocol_error(path, "our own id " + std::to_string(id) + " came without an eventfd");
            h.own_fds.push_back(std::move(m.fd));
            continue;
        }
        if (!m.fd) {  // that peer left while we were connecting
            h.peers.erase(id);
            continue;
        }
        auto& fds = h.peers[id];
        if (fds.size() >= vectors)
            return protocol_error(path, "peer " + std::to_string(id) + " sent more than " + std::to_string(vectors) +
                                            " eventfds");
        fds.push_back(std::move(m.fd));
    }
    // A peer whose eventfds are still incomplete will get the rest through
    // process_events(); it is usable for the vectors it has.
    return {};
}

}  // namespace

Result<SocketHandshake> socket_handshake(const std::string& path, std::string_view name,
                                         std::chrono::milliseconds timeout) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int err = errno;
        return make_error("no socket for domain '" + std::string(name) + "' at " + path, err);
    }
    auto conn = sys::connect_unix(path);
    if (!conn) {
        Error e = std::move(conn).error();
        if (e.sys == ECONNREFUSED) e.message += " (stale socket: is memdomaind running?)";
        return e;
    }
    SocketHandshake h;
    h.socket = std::move(conn).value();
    const int sock = h.socket.get();
    const auto deadline = Clock::now() + timeout;

    MD_ASSIGN_OR_RETURN(sys::Message version, next(sock, deadline, path, "the protocol version"));
    if (version.value != ivshmem::kProtocolVersion)
        return protocol_error(path, "server speaks protocol version " + std::to_string(version.value) +
                                        ", this library speaks " + std::to_string(ivshmem::kProtocolVersion));
    if (version.fd) return protocol_error(path, "the version message carried an fd");

    MD_ASSIGN_OR_RETURN(sys::Message own, next(sock, deadline, path, "our peer id"));
    if (own.value == ivshmem::kRefusedId && !own.fd)
        return make_error("memdomaind refused to attach this process to domain '" + std::string(name) +
                              "' (no grant for its user or groups, or the domain is full; the server log says which)",
                          EACCES);
    if (own.value < 0 || own.value >= static_cast<std::int64_t>(kMaxPeers))
        return protocol_error(path, "peer id " + std::to_string(own.value) + " is out of range");
    if (own.fd) return protocol_error(path, "the peer id message carried an fd");
    h.self = static_cast<PeerId>(own.value);

    MD_ASSIGN_OR_RETURN(sys::Message shm, next(sock, deadline, path, "the shared memory"));
    if (shm.value != ivshmem::kSharedMemoryId || !shm.fd)
        return protocol_error(path, "expected -1 with the shared memory fd, got " + std::to_string(shm.value) +
                                        (shm.fd ? " with an fd" : " without an fd"));
    MD_TRY(map_segment(shm.fd.get(), name, path, h));
    if (h.self >= h.header.max_peers)
        return protocol_error(path, "our peer id " + std::to_string(h.self) + " is not below max peers " +
                                        std::to_string(h.header.max_peers));
    // The memory fd is closed here: the mapping keeps the memory, and one
    // fewer fd per domain matters to processes attached to many.
    MD_TRY(receive_eventfds(sock, deadline, path, h));
    return h;
}

Result<std::unique_ptr<Transport>> open_socket_transport(std::string_view name, const OpenOptions& o) {
    if (auto st = validate_domain_name(name); !st) return make_error(st.error().message, EINVAL);
    const std::string path = domain_socket_path(resolve_socket_dir(o.socket_dir), name);
    MD_ASSIGN_OR_RETURN(SocketHandshake h, socket_handshake(path, name, o.timeout));
    return std::unique_ptr<Transport>(std::make_unique<SocketTransport>(std::string(name), std::move(h)));
}

}  // namespace memdomain::detail
