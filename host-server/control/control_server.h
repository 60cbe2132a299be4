// Serves the control protocol (control_protocol.h) on <socket dir>/control.sock
// from the daemon's single-threaded epoll loop. Everything is non-blocking:
// each client has an input buffer (split into request lines) and an output
// buffer (replies, flushed on EPOLLOUT), both bounded, so a slow, stuck or
// hostile client costs at most its buffers and never blocks the domains'
// peers or other control clients. Limit breaches disconnect the client and
// are logged with its pid and uid (SO_PEERCRED).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "control/control_protocol.h"
#include "daemon/event_loop.h"
#include "daemon/listener.h"
#include "domain/domain_registry.h"
#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::control {

struct ControlLimits {
    std::size_t max_request_line = kMaxRequestLine;
    std::size_t max_pending_reply = kMaxPendingReply;
    std::size_t max_clients = kMaxControlClients;
    int listen_backlog = 16;
    std::size_t accepts_per_wakeup = 16;  // fairness against a connect flood
    std::size_t read_per_wakeup = 64 * 1024;
};

class ControlServer {
public:
    // `registry` and `loop` must outlive the server.
    ControlServer(const server::DomainRegistry& registry, std::string socket_dir, server::EventLoop& loop,
                  ControlLimits limits = {});
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Listens on <socket dir>/control.sock with this owner and mode (a stale
    // socket of a dead server is replaced, a live one is EADDRINUSE) and
    // registers with the loop.
    Status start(uid_t owner, gid_t group, mode_t mode);
    const std::string& socket_path() const { return listener_.path(); }
    std::size_t clients() const { return clients_.size(); }

private:
    struct Client {
        sys::UniqueFd sock;
        sys::PeerCredentials cred;
        server::EventLoop::Token token = 0;
        std::string in;
        std::string out;
        bool read_closed = false;  // the client shut its side down: answer, then close
        bool watching_write = false;
    };

    void accept(sys::UniqueFd sock);
    void on_client_ready(std::uint64_t id, std::uint32_t events);
    // Reads what is there and answers every complete line; false when the
    // client was dropped.
    bool read_requests(std::uint64_t id, Client& c);
    void answer(Client& c, std::string_view line);
    // Sends what the socket takes and watches EPOLLOUT for the rest; false
    // when the client was dropped.
    bool flush(std::uint64_t id, Client& c);
    void drop(std::uint64_t id, const std::string& why, bool warn);

    const server::DomainRegistry& registry_;
    std::string socket_dir_;
    server::EventLoop& loop_;
    ControlLimits limits_;
    std::chrono::steady_clock::time_point started_;
    server::Listener listener_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
};

}  // namespace memdomain::control
