// memdomain-keeper's command line:
//     memdomain-keeper [--ready-fd N] [--restart-delay-ms N] [--stop-timeout-ms N]
//                      -- PROGRAM ARGS...
// Everything after the first "--" is the supervised command, untouched;
// the options before it are parsed with Boost.Program_options, whose
// exceptions are turned into an Error here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::keeper {

struct KeeperOptions {
    int ready_fd = -1;                                   // "READY <pid>\n" each time a child is ready
    std::chrono::milliseconds restart_delay{100};        // first restart delay, doubled up to 5 s
    std::chrono::milliseconds stop_timeout{10000};       // SIGTERM to SIGKILL when the keeper stops
    std::vector<std::string> command;                    // PROGRAM ARGS...
};

// What the command line asked for: run, or print text (help, version) and exit 0.
struct ParsedKeeperCommandLine {
    std::optional<KeeperOptions> run;
    std::string print;
};

// EINVAL with a message for the user on a bad command line.
Result<ParsedKeeperCommandLine> parse_keeper_command_line(int argc, const char* const* argv);

}  // namespace memdomain::keeper
