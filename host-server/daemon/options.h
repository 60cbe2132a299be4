// memdomaind's command line (and optional options file), parsed with
// Boost.Program_options. The only place in the daemon that may throw: the
// parser's exceptions are turned into an Error here.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "memdomain/common/result.h"

namespace memdomain::server {

struct DaemonOptions {
    std::string config_path = "/etc/memdomain/memdomain.conf";
    std::string socket_dir;       // resolved: --socket-dir, $MEMDOMAIN_SOCKET_DIR, /run/memdomain
    mode_t socket_mode = 0660;
    std::string log_level = "info";
    int ready_fd = -1;            // write "READY\n" here once every socket listens
    bool check_config = false;    // parse and check, then exit
    // Read the NUMA topology from this sysfs-shaped tree instead of the
    // kernel (tests, what-if planning); memory is then not mbind()ed, since
    // the nodes need not exist.
    std::string numa_sysfs_root;
};

// What the command line asked for: run, or print text (help, version) and exit 0.
struct ParsedCommandLine {
    std::optional<DaemonOptions> run;
    std::string print;
};

Result<ParsedCommandLine> parse_command_line(int argc, const char* const* argv);

}  // namespace memdomain::server
