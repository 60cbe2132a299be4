// md_policy_agent: one libmemdomain client in its own process, for the
// domain-policy tests: a `local` instance belongs to a pid and a `numa`
// instance is chosen from the client's CPU affinity, so those tests need
// clients that are separate, separately killable (and pinnable) processes.
// Driven through line commands on a socket (--control-fd N); each command
// gets one reply line, "ok [...]" or "err <errno> <message>".
//
//   pin CPU                  -> ok              sched_setaffinity to that one CPU
//   open NAME SOCKET_DIR     -> ok self=<id> gen=<hex> segments=<n>
//                               (opens one more attachment; the commands
//                               below act on the latest one)
//   seg I                    -> ok size=<n> page=<n> access=RW|RO node=<n> kind=<k> map=<hex>
//                                  base=<hex> data_off=<n> gen=<hex>
//   fill I BYTE              -> ok              memset segment I's whole data area to BYTE (every page written)
//   check I BYTE             -> ok same | ok differs <offset> <value>
//   touch I PAGES STEP       -> ok              writes 1 byte every STEP bytes, PAGES times, from data start
//   write I OFFSET TEXT      -> ok
//   read I OFFSET LENGTH     -> ok <bytes>
//   peers                    -> ok [<id> ...]
//   close                    -> ok              detach the latest attachment
//   quit                     -> ok, then exit 0
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "memdomain/domain.h"

using namespace memdomain;

namespace {

std::string err(const Error& e) { return "err " + std::to_string(e.sys) + " " + e.message; }
std::string err(int sys, const std::string& msg) { return "err " + std::to_string(sys) + " " + msg; }

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
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
        if (cmd == "peers") {
            std::string s = "ok";
            for (PeerId p : d.peers()) s += " " + std::to_string(p);
            return s;
        }
        std::size_t i = 0;
        if (!(in >> i) || i >= d.segments().size()) return err(EINVAL, "no segment " + std::to_string(i));
        const SegmentView& s = d.segments()[i];
        if (cmd == "seg") return describe(d, s);
        if (cmd == "fill" || cmd == "check") {
            unsigned byte = 0;
            in >> byte;
            if (cmd == "fill") {
                std::memset(s.data, static_cast<int>(byte), s.data_size);
                return "ok";
            }
            for (std::size_t off = 0; off < s.data_size; ++off)
                if (s.data[off] != static_cast<std::byte>(byte))
                    return "ok differs " + std::to_string(off) + " " + std::to_string(static_cast<unsigned>(s.data[off]));
            return "ok same";
        }
        if (cmd == "touch") {
            std::size_t pages = 0, step = 0;
            in >> pages >> step;
            if (step == 0 || pages * step > s.data_size) return err(EINVAL, "out of range");
            for (std::size_t p = 0; p < pages; ++p) s.data[p * step] = std::byte{0x5a};
            return "ok";
        }
        if (cmd == "write") {
            std::size_t off = 0;
            in >> off;
            std::string text;
            std::getline(in >> std::ws, text);
            if (off + text.size() > s.data_size) return err(EINVAL, "out of range");
            std::memcpy(s.data + off, text.data(), text.size());
            return "ok";
        }
        if (cmd == "read") {
            std::size_t off = 0, len = 0;
            in >> off >> len;
            if (off + len > s.data_size) return err(EINVAL, "out of range");
            return "ok " + std::string(reinterpret_cast<const char*>(s.data) + off, len);
        }
        return err(EINVAL, "unknown command '" + cmd + "'");
    }

private:
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
        o.timeout = std::chrono::milliseconds(3000);
        auto d = Domain::open(name, o);
        if (!d) return err(d.error());
        domains_.push_back(std::move(d).value());
        const Domain& x = domains_.back();
        return "ok self=" + std::to_string(x.self()) + " gen=" + hex(x.generation()) +
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
    if (argc != 3 || std::strcmp(argv[1], "--control-fd") != 0) {
        std::fprintf(stderr, "usage: md_policy_agent --control-fd N\n");
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
