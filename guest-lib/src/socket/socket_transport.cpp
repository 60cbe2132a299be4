// SocketTransport after the handshake: keeping up with what the server
// sends (the background reader, or reading on every call), doorbells out
// (mailbox word + eventfd write) and in (poll + drain of our own eventfd).
#include "socket/socket_transport.h"

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"
#include "segment_mapping.h"

namespace memdomain::detail {
namespace {

// How long notify() waits for the missing eventfds of a peer that is in the
// middle of attaching.
constexpr std::chrono::milliseconds kAttachGrace{200};

}  // namespace

SocketTransport::SocketTransport(std::string name, SocketHandshake first, std::vector<SocketHandshake> more)
    : name_(std::move(name)),
      mapping_(std::move(first.mapping)),
      header_(first.header),
      self_(first.self),
      own_fds_(std::move(first.own_fds)),
      socket_(std::move(first.socket)),
      table_(first.header.vectors, first.header.max_peers, first.self, std::move(first.peers)) {
    segments_ = {segment_view(header_, mapping_.bytes(), first.access)};
    for (SocketHandshake& h : more) {
        segments_.push_back(segment_view(h.header, h.mapping.bytes(), h.access));
        more_.push_back({std::move(h.socket), std::move(h.mapping)});
    }
    fork_guard_ = std::make_unique<ForkGuard>(mu_, [this] {
        forked_ = true;
        if (reader_) reader_->forget_after_fork();
        // The child never reads the connections: holding copies of them
        // would only keep one alive (unread, until the server drops it)
        // after the parent closes its Domain.
        socket_.reset();
        for (MemoryOnlySegment& s : more_) {
            s.socket.reset();
            s.closed = true;
        }
    });
}

SocketTransport::~SocketTransport() {
    fork_guard_.reset();  // no fork() may touch us from here on
    reader_.reset();      // stops and joins the thread (not in a fork's child)
}

Status SocketTransport::start_reader() {
    MD_ASSIGN_OR_RETURN(sys::UniqueFd ready, sys::eventfd_create());
    {
        std::lock_guard lock(mu_);
        events_ready_ = std::move(ready);
        signal_if_pending_locked();
    }
    auto r = ReaderThread::start([this](int wake_fd) { read_until_woken(wake_fd); });
    if (!r) return make_error(name_ + ": " + r.error().message, r.error().sys);
    reader_ = std::move(r).value();
    return {};
}

void SocketTransport::read_until_woken(int wake_fd) {
    // A connection can poll readable with only part of a message in it (the
    // server sends the rest when its buffer drains). Normally that lasts
    // microseconds; a server that never sends the rest must not make this
    // thread spin, so passes that take nothing back off (1 ms .. 100 ms).
    auto backoff = std::chrono::milliseconds(0);
    for (;;) {
        std::vector<int> fds;
        {
            std::lock_guard lock(mu_);
            fds = live_connections_locked();
        }
        if (backoff.count() > 0) {
            auto woken = sys::wait_readable(wake_fd, backoff);
            if (!woken || *woken) return;
        }
        fds.push_back(wake_fd);
        auto ready = sys::wait_any_readable(fds, std::chrono::milliseconds(-1));
        if (!ready) return;  // poll itself failed (EFAULT/ENOMEM): nothing sane left to do
        if (std::find(ready->begin(), ready->end(), wake_fd) != ready->end()) return;
        std::lock_guard lock(mu_);
        const bool took = drain_locked();
        backoff = took ? std::chrono::milliseconds(0)
                       : std::clamp(backoff * 2, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
    }
}

std::vector<int> SocketTransport::live_connections_locked() const {
    std::vector<int> fds;
    if (!connection_error_) fds.push_back(socket_.get());
    for (const MemoryOnlySegment& s : more_)
        if (!s.closed) fds.push_back(s.socket.get());
    return fds;
}

bool SocketTransport::drain_locked() {
    if (forked_) return false;  // the parent owns the connections
    const bool took = drain_domain_connection_locked() | drain_memory_only_locked();
    signal_if_pending_locked();
    table_changed_.notify_all();
    return took;
}

bool SocketTransport::drain_domain_connection_locked() {
    bool took = false;
    while (!connection_error_) {
        auto m = sys::try_receive_message(socket_.get());
        if (!m) {
            // A hang-up or a broken stream: either way nothing more can be
            // read from it. Peers and mappings stay as they are.
            const Error& e = m.error();
            connection_error_ =
                e.sys == ECONNRESET
                    ? make_error(name_ + ": the server closed the connection (the mapping stays valid)", ECONNRESET)
                    : make_error(name_ + ": server connection: " + e.message, e.sys);
            return true;
        }
        if (!m->has_value()) break;
        table_.apply((*m)->value, std::move((*m)->fd));
        took = true;
    }
    return took;
}

bool SocketTransport::drain_memory_only_locked() {
    bool took = false;
    for (MemoryOnlySegment& s : more_) {
        while (!s.closed) {
            auto m = sys::try_receive_message(s.socket.get());
            // The server hangs up on every segment at once (segment 0
            // reports it) or broke the protocol: the mapping stays.
            if (!m) s.closed = true;
            if (m && !m->has_value()) break;
            // A join's eventfd or a leave: nothing for a memory-only
            // segment; the eventfd closes here.
            took = true;
        }
    }
    return took;
}

void SocketTransport::signal_if_pending_locked() {
    if (!events_ready_ || events_signalled_) return;
    if (!table_.changes().pending() && !connection_error_) return;
    (void)sys::eventfd_ring(events_ready_.get());
    events_signalled_ = true;
}

Status SocketTransport::connection_status_locked() const {
    if (connection_error_) return *connection_error_;
    return {};
}

Status SocketTransport::process_events(std::vector<PeerEvent>* out) {
    std::lock_guard lock(mu_);
    drain_locked();
    if (out != nullptr) {
        auto taken = table_.changes().take();
        out->insert(out->end(), taken.begin(), taken.end());
    }
    // The caller has looked: the ready fd goes quiet until something new
    // happens (after a hang-up it stays readable for good). A fork's child
    // leaves it alone: the parent's reader signals it.
    if (events_ready_ && events_signalled_ && !connection_error_ && !forked_) {
        (void)sys::eventfd_drain(events_ready_.get());
        events_signalled_ = false;
    }
    return connection_status_locked();
}

std::vector<PeerId> SocketTransport::peers() const {
    std::lock_guard lock(mu_);
    return table_.peers();
}

int SocketTransport::ring_target(std::unique_lock<std::mutex>& lock, PeerId peer, std::uint32_t vector) {
    int fd = table_.eventfd(peer, vector);
    if (fd >= 0 || !table_.attaching(peer, vector)) return fd;
    // A peer whose first eventfds have come is attaching: the rest are on
    // their way, so wait for them a little rather than fail.
    const auto deadline = std::chrono::steady_clock::now() + kAttachGrace;
    while (fd < 0 && table_.attaching(peer, vector) && !connection_error_ && !forked_ &&
           std::chrono::steady_clock::now() < deadline) {
        if (reader_) {
            table_changed_.wait_until(lock, deadline);
        } else {
            lock.unlock();
            (void)sys::wait_readable(socket_.get(), std::chrono::milliseconds(10));
            lock.lock();
            drain_locked();
        }
        fd = table_.eventfd(peer, vector);
    }
    return fd;
}

Status SocketTransport::notify(PeerId peer, std::uint32_t vector) {
    if (vector >= header_.vectors)
        return make_error(name_ + ": vector " + std::to_string(vector) + " out of range (the domain has " +
                              std::to_string(header_.vectors) + ")",
                          EINVAL);
    // A guest without vfio learns of a ring only from its mailbox word,
    // which a read-only mapping cannot bump: a read-only peer's ring would
    // reach some peers and silently not others, so it rings none.
    if (segments_.front().access != Access::ReadWrite)
        return make_error(name_ + ": this process attached read-only: it cannot ring peers (a guest that polls its "
                                  "mailbox would never see the ring, and a read-only mapping cannot bump it)",
                          EACCES);
    std::unique_lock lock(mu_);
    if (!reader_) drain_locked();  // no thread reads for us: every call does
    const int fd = ring_target(lock, peer, vector);
    if (fd < 0) return make_error(name_ + ": peer " + std::to_string(peer) + " is not attached", ENOENT);
    // Polling guests (no vfio) watch this word instead of an interrupt;
    // bump it before the ring so a woken waiter sees it.
    if (std::uint64_t* w = mailbox_word(mapping_.data(), header_, peer, vector))
        std::atomic_ref<std::uint64_t>(*w).fetch_add(1, std::memory_order_release);
    // Rung under the lock: the reader cannot close this eventfd meanwhile.
    if (auto st = sys::eventfd_ring(fd); !st)
        return make_error(name_ + ": ring peer " + std::to_string(peer) + ": " + st.error().message, st.error().sys);
    return {};
}

Result<bool> SocketTransport::wait_reading(int fd, std::chrono::milliseconds timeout) {
    const bool forever = timeout.count() < 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::vector<int> fds;
        {
            std::lock_guard lock(mu_);
            drain_locked();
            if (!forked_) fds = live_connections_locked();
        }
        fds.push_back(fd);
        auto left = timeout;
        if (!forever) {
            left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) left = std::chrono::milliseconds(0);
        }
        MD_ASSIGN_OR_RETURN(std::vector<int> ready, sys::wait_any_readable(fds, left));
        if (std::find(ready.begin(), ready.end(), fd) != ready.end()) return true;
        if (ready.empty()) return false;  // timed out
        // Only server messages: read them (next round) and wait on.
    }
}

Result<std::uint64_t> SocketTransport::wait(std::uint32_t vector, std::chrono::milliseconds timeout) {
    if (vector >= own_fds_.size())
        return make_error(name_ + ": vector " + std::to_string(vector) + " out of range (the domain has " +
                              std::to_string(header_.vectors) + ")",
                          EINVAL);
    const int fd = own_fds_[vector].get();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::uint64_t n, sys::eventfd_drain(fd));
        // Any peer holding our eventfd can add up to 2^64-2 in one write.
        if (n > 0) return std::min(n, kMaxWaitCount);
        auto left = timeout;
        if (timeout.count() >= 0) {
            left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::uint64_t{0};
        }
        bool ready = false;
        if (reader_) {
            MD_ASSIGN_OR_RETURN(ready, sys::wait_readable(fd, left));
        } else {
            MD_ASSIGN_OR_RETURN(ready, wait_reading(fd, left));
        }
        if (!ready) return std::uint64_t{0};
    }
}

int SocketTransport::doorbell_fd(std::uint32_t vector) const {
    return vector < own_fds_.size() ? own_fds_[vector].get() : -1;
}

int SocketTransport::event_fd() const {
    std::lock_guard lock(mu_);
    if (forked_) return -1;  // both fds belong to the parent's reading
    return events_ready_ ? events_ready_.get() : socket_.get();
}

int SocketTransport::reader_tid() const {
    std::lock_guard lock(mu_);
    return reader_ ? reader_->tid() : -1;
}

}  // namespace memdomain::detail
