#include "ctl_runner.h"

#include <sys/wait.h>

#include "server_fixture.h"

namespace memdomain::test {

std::string memdomainctl_path() { return MEMDOMAINCTL_PATH; }

CtlRun memdomainctl(const std::vector<std::string>& args, const CtlOptions& options) {
    TempDir d;
    std::vector<std::string> argv = {memdomainctl_path()};
    Process::Options o;
    o.log_path = d.file("out.log");
    o.env = options.env;
    o.user = options.user;
    if (!options.stdin_path.empty()) {
        // Process gives children /dev/null on stdin: a shell swaps it for the file.
        argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" < \"$MD_CTL_STDIN\"", memdomainctl_path()};
        o.env.push_back("MD_CTL_STDIN=" + options.stdin_path);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, o);
    CtlRun r;
    auto st = p.wait(options.timeout);
    if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
    r.output = read_file(o.log_path);
    return r;
}

}  // namespace memdomain::test
