// memdomainctl run by a test: as a child process (optionally as another
// user, or with stdin from a file), its exit code and its combined output.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace memdomain::test {

struct CtlRun {
    int exit_code = -1;  // -1: killed or did not finish in time
    std::string output;  // stdout and stderr
};

struct CtlOptions {
    std::vector<std::string> env;  // extra "K=V"
    std::string user;              // run as this user (with its groups); empty: as we are
    std::string stdin_path;        // feed this file on stdin; empty: /dev/null
    std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

std::string memdomainctl_path();
CtlRun memdomainctl(const std::vector<std::string>& args, const CtlOptions& options = {});

}  // namespace memdomain::test
