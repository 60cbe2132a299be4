// The client side of the ivshmem server protocol's initial burst: version,
// own id, the shared-memory fd, then every peer's eventfds and our own, up
// to the point where our own id has arrived once per vector. Everything the
// server sends is checked; anything unexpected is a clear EPROTO error.
#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/names.h"
#include "memdomain/sys/socket.h"
#include "segment_mapping.h"
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

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
    return buf;
}

// What the header must say besides being valid: the domain asked for, the
// segment this socket serves and, for segments 1.., the instance segment 0
// came from.
Status check_expected(const SegmentHeader& h, const SegmentExpectation& want, const std::string& path) {
    if (header_domain_name(h) != want.name)
        return make_error(path + ": the segment belongs to domain '" + std::string(header_domain_name(h)) +
                              "', not '" + std::string(want.name) + "'",
                          EINVAL);
    if (h.segment_index != want.index)
        return make_error(path + ": expected segment " + std::to_string(want.index) + ", the server sent segment " +
                              std::to_string(h.segment_index),
                          EINVAL);
    if (want.first == nullptr) return {};
    // The server re-creates a domain (a new generation) when the last peer
    // of a dynamic one leaves; segment 0 and this one were fetched at
    // different moments, so a mismatch means that happened in between.
    const SegmentHeader& f = *want.first;
    if (h.generation != f.generation || h.segment_count != f.segment_count)
        return make_error("domain '" + std::string(want.name) + "': segment " + std::to_string(want.index) +
                              " belongs to another instance (generation " + hex(h.generation) + ", " +
                              std::to_string(h.segment_count) + " segments; segment 0 has generation " +
                              hex(f.generation) + ", " + std::to_string(f.segment_count) +
                              " segments): the domain was re-created while opening; retry",
                          EAGAIN);
    return {};
}

// Reads the header through a read-only mapping of the whole segment (cheap:
// only the header page is touched), checks it, then maps the segment for
// use: read-write when the header allows it and the fd is writable (an
// O_RDONLY fd refuses PROT_WRITE with EACCES: that is how a read-only grant
// shows), and at the header's map_address when it has one. The first
// mapping covers the whole segment, not one page, because a hugetlbfs
// mapping is made and unmapped in whole huge pages and the validator wants
// to see the segment's extent mapped.
Status map_segment(int memfd, const SegmentExpectation& want, const std::string& path, SocketHandshake& h) {
    MD_ASSIGN_OR_RETURN(std::uint64_t size, sys::fd_size(memfd));
    if (size < kHeaderAreaSize)
        return make_error(path + ": shared memory of " + std::to_string(size) + " bytes cannot hold a segment header",
                          EINVAL);
    MD_ASSIGN_OR_RETURN(h.mapping, sys::map_shared(memfd, size, sys::Protection::ReadOnly));
    auto header = validate_segment_header(h.mapping.data(), size);
    if (!header) return make_error(path + ": " + header.error().message, EINVAL);
    h.header = *header;
    MD_TRY(check_expected(h.header, want, path));
    const bool want_write = h.header.access == static_cast<std::uint32_t>(SegmentAccess::ReadWrite);
    h.access = Access::ReadOnly;
    if (h.header.map_address != 0) {
        h.mapping.reset();  // it may sit where the segment has to go
        bool writable = false;
        MD_ASSIGN_OR_RETURN(h.mapping, map_segment_at_best(memfd, want_write, 0, h.header, &writable));
        if (writable) h.access = Access::ReadWrite;
        return {};
    }
    if (want_write) {
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

Result<SocketHandshake> socket_handshake(const std::string& path, const SegmentExpectation& want,
                                         std::chrono::milliseconds timeout) {
    const std::string name(want.name);
    const std::string which = want.index == 0 ? "" : " segment " + std::to_string(want.index);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int err = errno;
        return make_error("no socket for domain '" + name + "'" + which + " at " + path, err);
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
        return make_error("memdomaind refused to attach this process to domain '" + name + "'" + which +
                              " (no grant for its user or groups, or the domain is full; the server log says which)",
                          EACCES);
    if (own.value < 0 || own.value >= static_cast<std::int64_t>(kMaxPeers))
        return protocol_error(path, "peer id " + std::to_string(own.value) + " is out of range");
    if (own.fd) return protocol_error(path, "the peer id message carried an fd");
    h.self = static_cast<PeerId>(own.value);

    MD_ASSIGN_OR_RETURN(sys::Message shm, next(sock, deadline, path, "the shared memory"));
    if (shm.value != ivshmem::kSharedMemoryId || !shm.fd)
        return protocol_error(path, "expected -1 with the shared memory fd, got " + std::to_string(shm.value) +
                                        (shm.fd ? " with an fd" : " without an fd"));
    MD_TRY(map_segment(shm.fd.get(), want, path, h));
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
    const std::string dir = resolve_socket_dir(o.socket_dir);
    const auto deadline = Clock::now() + o.timeout;
    auto left = [&] {
        auto l = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        return l.count() < 0 ? std::chrono::milliseconds(0) : l;
    };
    MD_ASSIGN_OR_RETURN(SocketHandshake first,
                        socket_handshake(domain_socket_path(dir, name), SegmentExpectation{name, 0, nullptr}, left()));
    // Segments 1.. are memory only; each connection stays open because the
    // server counts it as a peer of that segment (and frees a dynamic
    // domain when its last peer leaves).
    std::vector<SocketHandshake> more;
    for (std::uint32_t i = 1; i < first.header.segment_count; ++i) {
        auto h = socket_handshake(domain_socket_path(dir, name, i), SegmentExpectation{name, i, &first.header},
                                  left());
        if (!h) {
            Error e = std::move(h).error();
            // Segment 0 was there: the domain exists, so a missing segment
            // must not send Transport::Auto looking elsewhere.
            if (e.sys == ENOENT) {
                e.sys = ENODEV;
                e.message += " (segment 0 says the domain has " + std::to_string(first.header.segment_count) +
                             " segments)";
            }
            return e;
        }
        h->own_fds.clear();  // nobody rings segments 1..: doorbells live on segment 0
        h->peers.clear();
        more.push_back(std::move(h).value());
    }
    auto t = std::make_unique<SocketTransport>(std::string(name), std::move(first), std::move(more));
    if (o.reader_thread) MD_TRY(t->start_reader());
    return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace memdomain::detail
