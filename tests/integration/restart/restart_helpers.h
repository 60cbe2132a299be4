// What the restart and reload tests share besides the keeper fixture: a peer
// in its own process (md_restart_peer, optionally as another user), a
// memdomainctl runner, the test users (test_users.h), the 2 MiB hugepage
// pool's free count, and a polling helper.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eventually.h"
#include "memdomain/domain.h"
#include "process.h"
#include "test_users.h"

namespace memdomain::test {

// md_restart_peer (see restart_peer.cpp) in its own process, by PID.
class PeerProcess {
public:
    // `user`: run as that user (with its groups); empty: as ourselves.
    // `args`: after SOCKET_DIR NAME (--write TEXT, --hold).
    PeerProcess(const std::string& socket_dir, const std::string& name, const std::string& log_path,
                std::vector<std::string> args = {}, const std::string& user = "");
    // The first log line starting with `prefix` (without it), waiting up to
    // `timeout`; nullopt if none came.
    std::optional<std::string> line(const std::string& prefix,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::string log() const { return proc_.log(); }
    Process& process() { return proc_; }

private:
    Process proc_;
};

// A generation as md_restart_peer prints it: 16 lower-case hex digits.
std::string generation_hex(std::uint64_t generation);

// A root peer in this process, on the socket transport.
Result<Domain> open_domain(const std::string& socket_dir, const std::string& name);
// The data area's first bytes, up to a NUL (at most 64).
std::string data_head(const Domain& d);
// Writes `text` and its NUL at offset 0 of the data area.
void write_data(Domain& d, const std::string& text);

struct CtlResult {
    int exit_code = -1;  // -1: did not exit normally in time
    std::string output;  // stdout + stderr
};
// memdomainctl --socket-dir DIR ARGS..., to completion.
CtlResult run_ctl(const std::string& socket_dir, const std::vector<std::string>& args);
// `memdomainctl --json show NAME` parsed; nullopt when it failed.
std::optional<nlohmann::json> ctl_show(const std::string& socket_dir, const std::string& name);


// The 2 MiB pool's free and available (free - reserved) page counts; nullopt
// when there is no such pool.
std::optional<std::uint64_t> hugepages_free_2m();
std::optional<std::uint64_t> hugepages_available_2m();

}  // namespace memdomain::test
