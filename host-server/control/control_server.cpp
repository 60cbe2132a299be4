#include "control/control_server.h"

#include <sys/epoll.h>

#include <spdlog/spdlog.h>

#include "acl/principals.h"
#include "control/control_verbs.h"
#include "memdomain/sys/stream.h"
#include "memdomain/common/names.h"
#include "memdomain/sys/process.h"

namespace memdomain::control {

ControlServer::ControlServer(server::DomainRegistry& registry, std::string socket_dir, server::EventLoop& loop,
                             ControlLimits limits)
    : registry_(registry),
      socket_dir_(std::move(socket_dir)),
      loop_(loop),
      limits_(limits),
      started_(std::chrono::steady_clock::now()),
      listener_(loop, socket_dir_ + "/" + std::string(kControlSocketName)) {}

ControlServer::~ControlServer() {
    for (auto& [id, c] : clients_) loop_.remove(c->token);
}

Status ControlServer::start(uid_t owner, gid_t group, mode_t mode) {
    const auto& cfg = registry_.server_config();
    if (cfg.admin_group) {
        auto gid = server::resolve_group(*cfg.admin_group, cfg.admin_group_where);
        if (!gid) return std::move(gid).error();
        group = *gid;
    }
    return listener_.start(limits_.listen_backlog, server::SocketOwnership{owner, group, mode},
                           limits_.accepts_per_wakeup, [this](sys::UniqueFd s) { accept(std::move(s)); });
}

Status ControlServer::apply_admin_group(uid_t owner, gid_t default_group) {
    gid_t group = default_group;
    const auto& cfg = registry_.server_config();
    if (cfg.admin_group) {
        auto gid = server::resolve_group(*cfg.admin_group, cfg.admin_group_where);
        if (!gid) return std::move(gid).error();
        group = *gid;
    }
    return sys::set_owner(listener_.path(), owner, group);
}

void ControlServer::accept(sys::UniqueFd sock) {
    auto cred = sys::peer_credentials(sock.get());
    if (!cred) {
        spdlog::warn("control: refusing a connection: {}", cred.error().message);
        return;
    }
    if (clients_.size() >= limits_.max_clients) {
        spdlog::warn("control: refused pid {} uid {}: {} control clients are connected (the limit)", cred->pid,
                     cred->uid, clients_.size());
        // Best effort on a fresh socket: one short line fits its buffer.
        (void)sys::write_some(sock.get(), encode_line(error_reply(
                                              "EBUSY", std::to_string(clients_.size()) +
                                                           " control clients are connected, the most this server "
                                                           "serves; try again later")));
        return;
    }
    const std::uint64_t id = next_id_++;
    auto c = std::make_unique<Client>();
    c->sock = std::move(sock);
    c->cred = *cred;
    // Only the admin group needs them: a client whose groups cannot be read
    // can still read, and is judged by its uid and primary gid.
    if (auto groups = sys::peer_groups(c->sock.get()))
        c->groups = std::move(groups).value();
    else
        spdlog::warn("control: pid {} uid {}: {}", cred->pid, cred->uid, groups.error().message);
    c->events = EPOLLIN | EPOLLRDHUP;
    auto token = loop_.add(c->sock.get(), c->events, [this, id](std::uint32_t ev) { on_client_ready(id, ev); });
    if (!token) {
        spdlog::error("control: cannot watch pid {}: {}", cred->pid, token.error().message);
        return;
    }
    c->token = *token;
    spdlog::debug("control: pid {} uid {} connected ({} clients)", cred->pid, cred->uid, clients_.size() + 1);
    clients_.emplace(id, std::move(c));
}

void ControlServer::on_client_ready(std::uint64_t id, std::uint32_t events) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    if (!c.read_closed && !c.busy && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        if (!read_requests(id, c)) return;
    } else if (events & (EPOLLHUP | EPOLLERR)) {
        drop(id, c.busy ? "hung up while its create was under way" : "hung up before reading its replies", false);
        return;
    }
    if (!flush(id, c)) return;
    if (c.read_closed && !c.busy && c.out.empty()) drop(id, "done", false);
}

bool ControlServer::read_requests(std::uint64_t id, Client& c) {
    auto r = sys::read_some(c.sock.get(), c.in, limits_.read_per_wakeup);
    if (!r) {
        drop(id, r.error().message, false);
        return false;
    }
    if (r->eof) c.read_closed = true;
    return answer_lines(id, c);
}

bool ControlServer::answer_lines(std::uint64_t id, Client& c) {
    std::size_t start = 0;
    for (std::size_t nl; !c.busy && (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (nl - start > limits_.max_request_line) break;  // handled below, as an oversized line
        answer(id, c, std::string_view(c.in).substr(start, nl - start));
        // Small requests can ask for big replies: check the bound per reply,
        // not per wakeup, so one burst cannot pile up more than one reply
        // past it.
        if (c.out.size() > limits_.max_pending_reply && !flush(id, c)) return false;
    }
    c.in.erase(0, start);
    if (c.busy) return true;  // the rest waits for the create's reply
    // What is left has no '\n' within the limit: a line that is too long.
    const std::size_t pending_line = std::min(c.in.find('\n'), c.in.size());
    if (pending_line > limits_.max_request_line) {
        c.out += encode_line(error_reply("E2BIG", "request line longer than " +
                                                      std::to_string(limits_.max_request_line) +
                                                      " bytes; closing the connection"));
        (void)sys::write_some(c.sock.get(), c.out);
        drop(id, "sent a request line longer than " + std::to_string(limits_.max_request_line) + " bytes", true);
        return false;
    }
    if (c.read_closed && !c.in.empty()) {
        const std::string last = std::move(c.in);  // a last line without '\n'
        c.in.clear();
        answer(id, c, last);
    }
    return true;
}

void ControlServer::answer(std::uint64_t id, Client& c, std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank lines get no reply
    const ControlContext ctx{&registry_, socket_dir_, started_, clients_.size(), c.cred, c.groups};
    const std::weak_ptr<ControlServer*> self = self_;
    AsyncReply async;
    async.progress = [self, id](nlohmann::json l) {
        if (auto s = self.lock()) (*s)->on_progress(id, std::move(l));
    };
    async.reply = [self, id](nlohmann::json r) {
        if (auto s = self.lock()) (*s)->on_late_reply(id, std::move(r));
    };
    const std::optional<nlohmann::json> reply = handle_request_line(line, ctx, async);
    if (!reply) {
        c.busy = true;
        spdlog::debug("control: pid {}: {} -> under way", c.cred.pid, line.substr(0, 200));
        return;
    }
    spdlog::debug("control: pid {}: {} -> {}", c.cred.pid, line.substr(0, 200),
                  reply->at("ok").get<bool>() ? std::string("ok") : reply->at("error").at("code").get<std::string>());
    c.out += encode_line(*reply);
}

void ControlServer::on_progress(std::uint64_t id, nlohmann::json line) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    // Progress is a hint: skip it while the client has not taken the last one.
    if (!c.busy || !c.out.empty()) return;
    c.out += encode_line(line);
    (void)flush(id, c);
}

void ControlServer::on_late_reply(std::uint64_t id, nlohmann::json reply) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
        spdlog::debug("control: a create finished after its client left");
        return;
    }
    Client& c = *it->second;
    c.busy = false;
    c.out += encode_line(reply);
    // The requests that waited behind the create, in order.
    if (!answer_lines(id, c)) return;
    if (!flush(id, c)) return;
    if (c.read_closed && !c.busy && c.out.empty()) drop(id, "done", false);
}

bool ControlServer::flush(std::uint64_t id, Client& c) {
    if (!c.out.empty()) {
        auto n = sys::write_some(c.sock.get(), c.out);
        if (!n) {
            drop(id, n.error().message, false);
            return false;
        }
        c.out.erase(0, *n);
    }
    if (c.out.size() > limits_.max_pending_reply) {
        drop(id, "stopped reading its replies (" + std::to_string(c.out.size()) + " bytes pending)", true);
        return false;
    }
    return watch(id, c);
}

bool ControlServer::watch(std::uint64_t id, Client& c) {
    // Level-triggered: a shut input stays readable, so stop watching it; a
    // busy client's input waits unread (its requests keep their order).
    std::uint32_t want = (c.read_closed || c.busy) ? 0u : (EPOLLIN | EPOLLRDHUP);
    if (!c.out.empty()) want |= EPOLLOUT;
    if (want == c.events) return true;
    if (auto st = loop_.modify(c.token, want); !st) {
        drop(id, st.error().message, true);
        return false;
    }
    c.events = want;
    return true;
}

void ControlServer::drop(std::uint64_t id, const std::string& why, bool warn) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    const auto& cred = it->second->cred;
    if (warn)
        spdlog::warn("control: disconnecting pid {} uid {}: {}", cred.pid, cred.uid, why);
    else
        spdlog::debug("control: pid {} uid {} disconnected: {}", cred.pid, cred.uid, why);
    loop_.remove(it->second->token);
    clients_.erase(it);
}

}  // namespace memdomain::control
