// md_peer_agent: one libmemdomain client in its own process, driven by the
// integration tests through line commands on a socket (--control-fd N), so
// that every peer of a test is a real, separately killable process.
//
// Each command line gets exactly one reply line: "ok [...]" or
// "err <errno> <message>".
//   open NAME SOCKET_DIR      -> ok self=<id> vectors=<n> peers=<a,b,...>
//   write OFFSET TEXT         -> ok             (TEXT into the data area)
//   read OFFSET LENGTH        -> ok <bytes>
//   notify PEER VECTOR        -> ok
//   wait VECTOR TIMEOUT_MS    -> ok <rings>     (0: timed out)
//   events                    -> ok [J<id>|L<id> ...]
//   peers                     -> ok [<id> ...]
//   page_size                 -> ok <bytes>
//   present ID                -> ok 0|1         (presence bit in the header)
//   peer_count                -> ok <n>         (peer_count in the header)
//   close                     -> ok             (detach, stay alive)
//   quit                      -> ok, then exit 0
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "memdomain/domain.h"

using namespace memdomain;

namespace {

std::string err(const Error& e) { return "err " + std::to_string(e.sys) + " " + e.message; }

std::string join(const std::vector<PeerId>& ids, char sep) {
    std::string s;
    for (PeerId p : ids) s += (s.empty() ? "" : std::string(1, sep)) + std::to_string(p);
    return s;
}

class Agent {
public:
    std::string handle(const std::string& line, bool& quit) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd == "quit") {
            quit = true;
            return "ok";
        }
        if (cmd == "open") return open(in);
        if (!d_) return "err 0 not open";
        if (cmd == "write") {
            std::size_t off;
            in >> off;
            std::string text;
            std::getline(in >> std::ws, text);
            if (off + text.size() > d_->data_size()) return "err 22 out of range";
            std::memcpy(static_cast<char*>(d_->data()) + off, text.data(), text.size());
            return "ok";
        }
        if (cmd == "read") {
            std::size_t off, len;
            in >> off >> len;
            if (off + len > d_->data_size()) return "err 22 out of range";
            return "ok " + std::string(static_cast<const char*>(d_->data()) + off, len);
        }
        if (cmd == "notify") {
            PeerId p;
            std::uint32_t v;
            in >> p >> v;
            auto st = d_->notify(p, v);
            return st ? "ok" : err(st.error());
        }
        if (cmd == "wait") {
            std::uint32_t v;
            long ms;
            in >> v >> ms;
            auto n = d_->wait(v, std::chrono::milliseconds(ms));
            return n ? "ok " + std::to_string(*n) : err(n.error());
        }
        if (cmd == "events") {
            std::string s = "ok";
            for (const auto& e : d_->events())
                s += (e.kind == PeerEvent::Kind::Joined ? " J" : " L") + std::to_string(e.peer);
            return s;
        }
        if (cmd == "page_size") return "ok " + std::to_string(d_->page_size());
        if (cmd == "peers") return "ok " + join(d_->peers(), ' ');
        if (cmd == "present" || cmd == "peer_count") {
            auto h = d_->header();
            if (!h) return err(h.error());
            if (cmd == "peer_count") return "ok " + std::to_string(h->peer_count);
            std::uint32_t id;
            in >> id;
            return std::string("ok ") + (header_is_present(&*h, id) ? "1" : "0");
        }
        if (cmd == "close") {
            d_.reset();
            return "ok";
        }
        return "err 22 unknown command '" + cmd + "'";
    }

private:
    std::string open(std::istringstream& in) {
        std::string name, dir;
        in >> name >> dir;
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = dir;
        auto d = Domain::open(name, o);
        if (!d) return err(d.error());
        d_.emplace(std::move(d).value());
        return "ok self=" + std::to_string(d_->self()) + " vectors=" + std::to_string(d_->vectors()) +
               " peers=" + join(d_->peers(), ',');
    }

    std::optional<Domain> d_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || std::strcmp(argv[1], "--control-fd") != 0) {
        std::fprintf(stderr, "usage: md_peer_agent --control-fd N\n");
        return 2;
    }
    const int fd = std::atoi(argv[2]);
    Agent agent;
    std::string buf;
    char chunk[4096];
    for (bool quit = false; !quit;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;  // the test went away
        buf.append(chunk, static_cast<std::size_t>(n));
        for (std::size_t nl; !quit && (nl = buf.find('\n')) != std::string::npos;) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            std::string reply = agent.handle(line, quit) + "\n";
            for (std::size_t off = 0; off < reply.size();) {
                ssize_t w = ::write(fd, reply.data() + off, reply.size() - off);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) return 1;
                off += static_cast<std::size_t>(w);
            }
        }
    }
    return 0;
}
