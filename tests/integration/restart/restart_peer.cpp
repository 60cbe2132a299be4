// md_restart_peer: one libmemdomain client (socket transport) in its own
// process, so that the restart and reload tests can attach as another user
// and see, from the outside, what a real peer sees. It prints one line per
// step to stdout (line-buffered; the tests read its log):
//
//   md_restart_peer SOCKET_DIR NAME [--write TEXT] [--hold]
//     open: ok generation=<16 hex digits> access=R/W|R/O self=<id>
//     open: error <ERRNO NAME> <message>          (then exits 1)
//     read: <the data area's first bytes, up to a NUL, at most 64>
//     wrote: TEXT                                 (--write, at offset 0)
//   --hold: stays attached and asks refresh() every 10 ms; when the server
//   hangs up it prints
//     disconnected: <errno name> <message>
//     still-mapped: <the data area's first bytes>
//   and keeps its mapping until the test kills it (by PID), at most 120 s.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "memdomain/domain.h"

using namespace memdomain;
using namespace std::chrono_literals;

namespace {

const char* errno_name(int e) {
    switch (e) {
        case EACCES: return "EACCES";
        case ENOENT: return "ENOENT";
        case ECONNRESET: return "ECONNRESET";
        case ECONNREFUSED: return "ECONNREFUSED";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EPROTO: return "EPROTO";
        case EINVAL: return "EINVAL";
        default: return "E?";
    }
}

std::string head(const Domain& d) {
    const char* p = static_cast<const char*>(d.data());
    return std::string(p, ::strnlen(p, 64));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: md_restart_peer SOCKET_DIR NAME [--write TEXT] [--hold]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string write_text;
    bool hold = false;
    for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--write") == 0 && i + 1 < argc)
            write_text = argv[++i];
        else if (std::strcmp(argv[i], "--hold") == 0)
            hold = true;
        else {
            std::fprintf(stderr, "md_restart_peer: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = argv[1];
    auto d = Domain::open(argv[2], o);
    if (!d) {
        std::printf("open: error %s %s\n", errno_name(d.error().sys), d.error().message.c_str());
        return 1;
    }
    std::printf("open: ok generation=%016llx access=%s self=%u\n", static_cast<unsigned long long>(d->generation()),
                std::string(to_string(d->access())).c_str(), d->self());
    std::printf("read: %s\n", head(*d).c_str());
    if (!write_text.empty()) {
        if (d->access() != Access::ReadWrite || write_text.size() + 1 > d->data_size()) {
            std::printf("wrote: refused (read-only or too long)\n");
            return 1;
        }
        std::memcpy(d->data(), write_text.c_str(), write_text.size() + 1);
        std::printf("wrote: %s\n", write_text.c_str());
    }
    if (!hold) return 0;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    bool reported = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!reported) {
            if (auto st = d->refresh(); !st) {
                std::printf("disconnected: %s %s\n", errno_name(st.error().sys), st.error().message.c_str());
                std::printf("still-mapped: %s\n", head(*d).c_str());
                reported = true;
            }
        }
        std::this_thread::sleep_for(10ms);
    }
    return 0;
}
