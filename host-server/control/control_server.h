// Serves the control protocol (control_protocol.h) on <socket dir>/control.sock
// from the daemon's single-threaded epoll loop. Everything is non-blocking:
// each client has an input buffer (split into request lines) and an output
// buffer (replies, flushed on EPOLLOUT), both bounded, so a slow, stuck or
// hostile client costs at most its buffers and never blocks the domains'
// peers or other control clients. Limit breaches disconnect the client and
// are logged with its pid and uid (SO_PEERCRED).
//
// A create answers late (control_verbs.h): while its reply is outstanding
// the client is "busy" — the server neither reads nor answers its further
// requests (they wait in the socket and its input buffer, so its replies
// keep their order), writes the progress lines it asked for, and resumes
// with the reply. The client's credentials and supplementary groups
// (SO_PEERCRED, SO_PEERGROUPS) are taken once, at accept: they decide who
// may use the changing verbs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control/control_protocol.h"
#include "io/event_loop.h"
#include "io/listener.h"
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
    // `registry` and `loop` must outlive the server. A create still under
    // way when the server goes away finishes without anyone to tell.
    ControlServer(server::DomainRegistry& registry, std::string socket_dir, server::EventLoop& loop,
                  ControlLimits limits = {});
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Listens on <socket dir>/control.sock with this owner and mode (a stale
    // socket of a dead server is replaced, a live one is EADDRINUSE) and
    // registers with the loop. The group is `group`, or the config's
    // server { admin_group } when it names one: its members must be able to
    // connect to use the changing verbs.
    Status start(uid_t owner, gid_t group, mode_t mode);
    // After a reload: gives the socket file the group of the registry's
    // current admin_group, or `default_group` when there is none (so members
    // of a new admin group can connect, and those of a removed one cannot).
    Status apply_admin_group(uid_t owner, gid_t default_group);
    const std::string& socket_path() const { return listener_.path(); }
    std::size_t clients() const { return clients_.size(); }

private:
    struct Client {
        sys::UniqueFd sock;
        sys::PeerCredentials cred;
        std::vector<gid_t> groups;
        server::EventLoop::Token token = 0;
        std::string in;
        std::string out;
        bool read_closed = false;  // the client shut its side down: answer, then close
        bool busy = false;         // a create's reply is outstanding: later requests wait
        std::uint32_t events = 0;  // what the loop watches now
    };

    void accept(sys::UniqueFd sock);
    void on_client_ready(std::uint64_t id, std::uint32_t events);
    // Reads what is there and answers it; false when the client was dropped.
    bool read_requests(std::uint64_t id, Client& c);
    // Answers every complete line in the input (up to a create that answers
    // late), and a last unterminated one once the client shut its side
    // down; false when the client was dropped.
    bool answer_lines(std::uint64_t id, Client& c);
    void answer(std::uint64_t id, Client& c, std::string_view line);
    // A create's progress line and its late reply.
    void on_progress(std::uint64_t id, nlohmann::json line);
    void on_late_reply(std::uint64_t id, nlohmann::json reply);
    // Sends what the socket takes, then watches what the client's state
    // needs; false when the client was dropped (or finished and closed).
    bool flush(std::uint64_t id, Client& c);
    // EPOLLIN unless busy or shut, EPOLLOUT while replies wait.
    bool watch(std::uint64_t id, Client& c);
    void drop(std::uint64_t id, const std::string& why, bool warn);

    server::DomainRegistry& registry_;
    std::string socket_dir_;
    server::EventLoop& loop_;
    ControlLimits limits_;
    std::chrono::steady_clock::time_point started_;
    server::Listener listener_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
    // Late callbacks hold a weak reference: they do nothing once the server is gone.
    std::shared_ptr<ControlServer*> self_ = std::make_shared<ControlServer*>(this);
};

}  // namespace memdomain::control
