// The line protocol shared by the test agents (md_peer_agent,
// md_datapath_agent): a separate process driven by a test over the
// socketpair passed as --control-fd N (agent_client.h is the test's side),
// one reply line per command line: "ok [...]" or "err <errno> <message>".
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "memdomain/common/result.h"

namespace memdomain::test {

inline std::string agent_err(const Error& e) { return "err " + std::to_string(e.sys) + " " + e.message; }
inline std::string agent_err(int sys, const std::string& msg) { return "err " + std::to_string(sys) + " " + msg; }

// Writes one reply line; a test that went away ends the agent.
inline void agent_reply(int fd, const std::string& line) {
    const std::string s = line + "\n";
    for (std::size_t off = 0; off < s.size();) {
        const ssize_t w = ::write(fd, s.data() + off, s.size() - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) std::_Exit(1);
        off += static_cast<std::size_t>(w);
    }
}

// An agent's main(): "--control-fd N", then handle(line, quit) for each
// command line until quit is set or the test closes its end.
inline int run_line_agent(int argc, char** argv, const char* name,
                          const std::function<std::string(int fd, const std::string& line, bool& quit)>& handle) {
    if (argc != 3 || std::strcmp(argv[1], "--control-fd") != 0) {
        std::fprintf(stderr, "usage: %s --control-fd N\n", name);
        return 2;
    }
    const int fd = std::atoi(argv[2]);
    std::string buf;
    char chunk[4096];
    for (bool quit = false; !quit;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;  // the test went away
        buf.append(chunk, static_cast<std::size_t>(n));
        for (std::size_t nl; !quit && (nl = buf.find('\n')) != std::string::npos;) {
            const std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            agent_reply(fd, handle(fd, line, quit));
        }
    }
    return 0;
}

}  // namespace memdomain::test
