// md_peer_agent: one libmemdomain client in its own process, driven by the
// integration and domain-policy tests through line commands on a socket
// (--control-fd N), so that every peer of a test is a real, separately
// killable (and pinnable) process: a `local` instance belongs to a pid and a
// `numa` instance is chosen from the client's CPU affinity.
//
// Each command line gets exactly one reply line: "ok [...]" or
// "err <errno> <message>". `open` adds one more attachment; every command
// after it acts on the latest one, and `close` detaches that one.
//   pin CPU                   -> ok             (sched_setaffinity to that one CPU)
//   open NAME SOCKET_DIR      -> ok self=<id> vectors=<n> peers=<a,b,...> gen=<hex> segments=<n>
//   write OFFSET TEXT         -> ok             (TEXT into the data area)
//   read OFFSET LENGTH        -> ok <bytes>
//   notify PEER VECTOR        -> ok
//   wait VECTOR TIMEOUT_MS    -> ok <rings>     (0: timed out)
//   events                    -> ok [J<id>|L<id> ...]
//   peers                     -> ok [<id> ...]
//   page_size                 -> ok <bytes>
//   present ID                -> ok 0|1         (presence bit in the header)
//   peer_count                -> ok <n>         (peer_count in the header)
//   seg I                     -> ok size=<n> page=<n> access=RW|RO node=<n> kind=<k> map=<hex>
//                                   base=<hex> data_off=<n> gen=<hex>
//   fill I BYTE               -> ok             (memset segment I's whole data area: every page written)
//   check I BYTE              -> ok same | ok differs <offset> <value>
//   touch I PAGES STEP        -> ok             (1 byte every STEP bytes, PAGES times, from data start)
//   seg_write I OFFSET TEXT   -> ok             (TEXT into segment I's data area)
//   seg_read I OFFSET LENGTH  -> ok <bytes>
//   close                     -> ok             (detach the latest attachment, stay alive)
//   quit                      -> ok, then exit 0
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "line_agent.h"
#include "memdomain/domain.h"

using namespace memdomain;

namespace {

std::string err(const Error& e) { return memdomain::test::agent_err(e); }
std::string err(int sys, const std::string& msg) { return memdomain::test::agent_err(sys, msg); }

std::string join(const std::vector<PeerId>& ids, char sep) {
    std::string s;
    for (PeerId p : ids) s += (s.empty() ? "" : std::string(1, sep)) + std::to_string(p);
    return s;
}

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

// TEXT (the rest of the line) into [data, data + size) at the offset read first.
std::string write_text(std::istringstream& in, std::byte* data, std::size_t size) {
    std::size_t off = 0;
    in >> off;
    std::string text;
    std::getline(in >> std::ws, text);
    if (off + text.size() > size) return err(EINVAL, "out of range");
    std::memcpy(data + off, text.data(), text.size());
    return "ok";
}

std::string read_text(std::istringstream& in, const std::byte* data, std::size_t size) {
    std::size_t off = 0, len = 0;
    in >> off >> len;
    if (off + len > size) return err(EINVAL, "out of range");
    return "ok " + std::string(reinterpret_cast<const char*>(data) + off, len);
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
        if (cmd == "pin") return pin(in);
        if (cmd == "open") return open(in);
        if (domains_.empty()) return err(0, "not open");
        Domain& d = domains_.back();
        if (cmd == "close") {
            domains_.pop_back();
            return "ok";
        }
        if (cmd == "write") return write_text(in, static_cast<std::byte*>(d.data()), d.data_size());
        if (cmd == "read") return read_text(in, static_cast<const std::byte*>(d.data()), d.data_size());
        if (cmd == "notify") {
            PeerId p;
            std::uint32_t v;
            in >> p >> v;
            auto st = d.notify(p, v);
            return st ? "ok" : err(st.error());
        }
        if (cmd == "wait") {
            std::uint32_t v;
            long ms;
            in >> v >> ms;
            auto n = d.wait(v, std::chrono::milliseconds(ms));
            return n ? "ok " + std::to_string(*n) : err(n.error());
        }
        if (cmd == "events") {
            std::string s = "ok";
            for (const auto& e : d.events())
                s += (e.kind == PeerEvent::Kind::Joined ? " J" : " L") + std::to_string(e.peer);
            return s;
        }
        if (cmd == "page_size") return "ok " + std::to_string(d.page_size());
        if (cmd == "peers") return "ok " + join(d.peers(), ' ');
        if (cmd == "present" || cmd == "peer_count") {
            auto h = d.header();
            if (!h) return err(h.error());
            if (cmd == "peer_count") return "ok " + std::to_string(h->peer_count);
            std::uint32_t id;
            in >> id;
            return std::string("ok ") + (header_is_present(&*h, id) ? "1" : "0");
        }
        return segment_command(cmd, in, d);
    }

private:
    // The commands that name a segment index first.
    static std::string segment_command(const std::string& cmd, std::istringstream& in, Domain& d) {
        static const char* const kCommands[] = {"seg", "fill", "check", "touch", "seg_write", "seg_read"};
        if (std::find(std::begin(kCommands), std::end(kCommands), cmd) == std::end(kCommands))
            return err(EINVAL, "unknown command '" + cmd + "'");
        std::size_t i = 0;
        if (!(in >> i) || i >= d.segments().size()) return err(EINVAL, "no segment " + std::to_string(i));
        const SegmentView& s = d.segments()[i];
        if (cmd == "seg") return describe(d, s);
        if (cmd == "seg_write") return write_text(in, s.data, s.data_size);
        if (cmd == "seg_read") return read_text(in, s.data, s.data_size);
        if (cmd == "touch") {
            std::size_t pages = 0, step = 0;
            in >> pages >> step;
            if (step == 0 || pages * step > s.data_size) return err(EINVAL, "out of range");
            for (std::size_t p = 0; p < pages; ++p) s.data[p * step] = std::byte{0x5a};
            return "ok";
        }
        unsigned byte = 0;
        in >> byte;
        if (cmd == "fill") {
            std::memset(s.data, static_cast<int>(byte), s.data_size);
            return "ok";
        }
        for (std::size_t off = 0; off < s.data_size; ++off)  // check
            if (s.data[off] != static_cast<std::byte>(byte))
                return "ok differs " + std::to_string(off) + " " + std::to_string(static_cast<unsigned>(s.data[off]));
        return "ok same";
    }

    static std::string pin(std::istringstream& in) {
        int cpu = -1;
        in >> cpu;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (::sched_setaffinity(0, sizeof set, &set) != 0) return err(errno, "sched_setaffinity cpu " + std::to_string(cpu));
        return "ok";
    }

    std::string open(std::istringstream& in) {
        std::string name, dir;
        in >> name >> dir;
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = dir;
        auto d = Domain::open(name, o);
        if (!d) return err(d.error());
        domains_.push_back(std::move(d).value());
        Domain& x = domains_.back();
        return "ok self=" + std::to_string(x.self()) + " vectors=" + std::to_string(x.vectors()) +
               " peers=" + join(x.peers(), ',') + " gen=" + hex(x.generation()) +
               " segments=" + std::to_string(x.segments().size());
    }

    static std::string describe(const Domain& d, const SegmentView& s) {
        return "ok size=" + std::to_string(s.size) + " page=" + std::to_string(s.page_size) +
               " access=" + (s.access == Access::ReadWrite ? "RW" : "RO") + " node=" + std::to_string(s.numa_node) +
               " kind=" + std::string(to_string(s.instance_kind)) + " map=" + hex(s.map_address) +
               " base=" + hex(reinterpret_cast<std::uint64_t>(s.base)) +
               " data_off=" + std::to_string(s.data - s.base) + " gen=" + hex(d.generation());
    }

    std::vector<Domain> domains_;
};

}  // namespace

int main(int argc, char** argv) {
    Agent agent;
    return memdomain::test::run_line_agent(argc, argv, "md_peer_agent", [&](int, const std::string& line, bool& quit) {
        return agent.handle(line, quit);
    });
}
