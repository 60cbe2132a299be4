#include "protocol/domain_server.h"

#include <sys/epoll.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/process.h"
#include "memdomain/sys/stream.h"

namespace memdomain::server {
namespace {
const char* access_name(SegmentAccess a) { return a == SegmentAccess::ReadWrite ? "R/W" : "R/O"; }
}  // namespace

DomainServer::DomainServer(Segment& segment, std::string namespace_path, EventLoop& loop, ServerLimits limits,
                           std::function<void()> on_change)
    : segment_(segment),
      ns_path_(std::move(namespace_path)),
      loop_(loop),
      limits_(limits),
      on_change_(std::move(on_change)),
      ids_(segment.spec().max_peers) {
    set_max_queued_messages(limits_.max_queued_messages);
}

void DomainServer::set_max_queued_messages(std::size_t limit) {
    // A newcomer's initial burst is queued at once and may not fit the socket
    // buffer: a limit below it would drop well-behaved peers of a big domain.
    const std::size_t burst = 3 + std::size_t{segment_.spec().max_peers} * segment_.spec().vectors;
    limits_.max_queued_messages = std::max(limit, burst);
}

DomainServer::~DomainServer() {
    *alive_ = false;
    for (auto& [id, p] : peers_) {
        loop_.remove(p->token);
        segment_.set_present(id, false);
    }
    if (!ns_path_.empty() && read_only_fd_) {
        // Remove the entry only while it still points at us (a successor may
        // already have replaced it).
        auto target = sys::read_symlink(ns_path_);
        std::error_code ec;
        if (target && *target == sys::own_fd_path(read_only_fd_->get())) std::filesystem::remove(ns_path_, ec);
    }
}

Status DomainServer::start() {
    if (!ns_path_.empty()) {
        MD_ASSIGN_OR_RETURN(auto ro, memory_fd_for(SegmentAccess::ReadOnly));
        MD_TRY(sys::replace_symlink(sys::own_fd_path(ro->get()), ns_path_));
    }
    return {};
}

std::vector<PeerInfo> DomainServer::peers() const {
    std::vector<PeerInfo> out;
    for (const auto& [id, p] : peers_) out.push_back({id, p->cred, p->groups, p->access, p->out.size()});
    return out;
}

void DomainServer::refuse(sys::UniqueFd sock) {
    // Best effort on a fresh socket: 16 bytes always fit its buffer.
    if (sys::send_message_part(sock.get(), ivshmem::kProtocolVersion, -1, 0))
        (void)sys::send_message_part(sock.get(), ivshmem::kRefusedId, -1, 0);
}

void DomainServer::admit(sys::UniqueFd sock, const sys::PeerCredentials& cred, std::vector<gid_t> groups,
                         SegmentAccess access) {
    const std::string& name = segment_.spec().domain;
    auto id = ids_.allocate();
    if (!id) {
        spdlog::warn("domain {}: refused pid {} uid {}: all {} peer ids are in use (max_peers)", name, cred.pid,
                     cred.uid, ids_.limit());
        refuse(std::move(sock));
        return;
    }
    // Every way out before the peer is in sends the refusal pair: QEMU
    // waits forever on a socket that was simply closed.
    auto fail = [&](const char* step, const Error& e) {
        ids_.release(*id);
        spdlog::error("domain {}: refused pid {} uid {}: {}: {}", name, cred.pid, cred.uid, step, e.message);
        refuse(std::move(sock));
    };
    auto memfd = memory_fd_for(access);
    if (!memfd) return fail("no memory descriptor for it", memfd.error());
    std::vector<std::shared_ptr<const sys::UniqueFd>> eventfds;
    for (std::uint32_t v = 0; v < segment_.spec().vectors; ++v) {
        auto e = sys::eventfd_create();
        if (!e) return fail("no doorbell eventfd for it", e.error());
        eventfds.push_back(std::make_shared<const sys::UniqueFd>(std::move(e).value()));
    }
    const std::uint32_t pid = *id;
    auto token = loop_.add(sock.get(), EPOLLIN | EPOLLRDHUP, [this, pid](std::uint32_t ev) { on_peer_ready(pid, ev); });
    if (!token) return fail("cannot watch its socket", token.error());
    auto p = std::make_unique<Peer>();
    p->id = pid;
    p->cred = cred;
    p->groups = std::move(groups);
    p->access = access;
    p->sock = std::move(sock);
    p->eventfds = std::move(eventfds);
    p->token = *token;
    Peer& np = *p;
    peers_.emplace(pid, std::move(p));

    spdlog::info("domain {}: peer {} joined (pid {}, uid {}, gid {}, {}), {} attached", name, pid, np.cred.pid,
                 np.cred.uid, np.cred.gid, access_name(np.access), peers_.size());
    // A new epoch for this id, then present, both before anyone hears of
    // it, so a peer that reads the header right after a join message sees
    // the bit and the newcomer's epoch.
    segment_.begin_attachment(pid);
    segment_.set_present(pid, true);
    // The newcomer's burst: version, its id, the memory, everyone else's
    // doorbells, then its own (the last `vectors` messages end the burst).
    queue(np, ivshmem::kProtocolVersion);
    queue(np, pid);
    queue(np, ivshmem::kSharedMemoryId, *memfd);
    for (auto& [oid, other] : peers_) {
        if (oid == pid) continue;
        for (auto& e : other->eventfds) queue(np, oid, e);
    }
    for (auto& e : np.eventfds) queue(np, pid, e);
    // Everyone else learns of the newcomer.
    for (auto& [oid, other] : peers_) {
        if (oid == pid) continue;
        for (auto& e : np.eventfds) queue(*other, pid, e);
    }
    reap();
    changed();
}

void DomainServer::changed() {
    if (!on_change_) return;
    loop_.defer([alive = std::weak_ptr<bool>(alive_), this] {
        auto a = alive.lock();
        if (a && *a) on_change_();
    });
}

std::size_t DomainServer::disconnect_if(const std::function<bool(const PeerInfo&)>& which, const std::string& why) {
    std::size_t n = 0;
    for (auto& [id, p] : peers_) {
        if (p->doomed || !which(PeerInfo{id, p->cred, p->groups, p->access, p->out.size()})) continue;
        doom(*p, why);
        ++n;
    }
    reap();
    return n;
}

Result<std::shared_ptr<const sys::UniqueFd>> DomainServer::memory_fd_for(SegmentAccess a) {
    if (a == SegmentAccess::ReadWrite) return segment_.fd();
    if (!read_only_fd_) {
        MD_ASSIGN_OR_RETURN(sys::UniqueFd ro, segment_.open_read_only());
        read_only_fd_ = std::make_shared<const sys::UniqueFd>(std::move(ro));
    }
    return read_only_fd_;
}

void DomainServer::on_peer_ready(std::uint32_t id, std::uint32_t events) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    Peer& p = *it->second;
    if (events & EPOLLIN) {
        std::string junk;
        auto r = sys::read_some(p.sock.get(), junk, 64);
        if (!r)
            doom(p, "socket error: " + r.error().message);
        else if (r->bytes > 0)
            doom(p, "sent " + std::to_string(r->bytes) + " bytes; clients must not send anything");
        else if (r->eof)
            doom(p, "hung up");
    } else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        doom(p, "hung up");
    }
    if ((events & EPOLLOUT) && !p.doomed) flush(p);
    reap();
}

void DomainServer::queue(Peer& p, std::int64_t value, std::shared_ptr<const sys::UniqueFd> fd) {
    if (p.doomed) return;
    if (p.out.size() >= limits_.max_queued_messages) {
        doom(p, "stopped reading (" + std::to_string(p.out.size()) + " messages queued)");
        return;
    }
    p.out.push_back({value, std::move(fd)});
    if (!p.watching_write) flush(p);
}

void DomainServer::flush(Peer& p) {
    while (!p.out.empty()) {
        OutMessage& m = p.out.front();
        auto n = sys::send_message_part(p.sock.get(), m.value, m.fd ? m.fd->get() : -1, p.sent_of_front);
        if (!n) {
            doom(p, n.error().message);
            return;
        }
        if (*n == 0) break;  // socket full: wait for EPOLLOUT
        p.sent_of_front += *n;
        if (p.sent_of_front == sizeof(std::int64_t)) {
            p.out.pop_front();
            p.sent_of_front = 0;
        }
    }
    const bool want = !p.out.empty();
    if (want != p.watching_write) {
        if (auto st = loop_.modify(p.token, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u)); !st)
            doom(p, st.error().message);
        else
            p.watching_write = want;
    }
}

void DomainServer::doom(Peer& p, const std::string& why) {
    if (p.doomed) return;
    p.doomed = true;
    spdlog::info("domain {}: peer {} (pid {}) leaves: {}", segment_.spec().domain, p.id, p.cred.pid, why);
    doomed_.push_back(p.id);
}

void DomainServer::reap() {
    // Removing one peer queues leave messages to the others, which may doom
    // more (a full queue): keep going until nobody is left to remove.
    while (!doomed_.empty()) {
        std::uint32_t id = doomed_.back();
        doomed_.pop_back();
        remove(id);
    }
}

void DomainServer::remove(std::uint32_t id) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    loop_.remove(it->second->token);
    peers_.erase(it);  // closes the socket; eventfds close once no queue holds them
    segment_.set_present(id, false);
    ids_.release(id);
    for (auto& [oid, other] : peers_) queue(*other, id);
    changed();
}

}  // namespace memdomain::server
