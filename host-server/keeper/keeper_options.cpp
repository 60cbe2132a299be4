#include "keeper/keeper_options.h"

#include <boost/program_options.hpp>
#include <cstring>
#include <sstream>

namespace po = boost::program_options;

namespace memdomain::keeper {

Result<ParsedKeeperCommandLine> parse_keeper_command_line(int argc, const char* const* argv) {
    // Split at the first "--" ourselves: the command's own options must never
    // be taken for ours.
    int split = 1;
    while (split < argc && std::strcmp(argv[split], "--") != 0) ++split;
    KeeperOptions o;
    long long delay_ms = o.restart_delay.count();
    long long stop_ms = o.stop_timeout.count();
    po::options_description desc(
        "memdomain-keeper: runs PROGRAM, keeps the file descriptors it stores with systemd's\n"
        "FDSTORE=1 protocol, and restarts it with them ($LISTEN_FDS) whenever it exits.\n\n"
        "Usage: memdomain-keeper [options] -- PROGRAM [ARGS...]\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit")
        ("ready-fd", po::value(&o.ready_fd), "write \"READY <pid>\" and a newline to this fd each time a child is ready")
        ("restart-delay-ms", po::value(&delay_ms)->default_value(delay_ms),
            "delay before the first restart; doubled on each quick exit, up to 5000")
        ("stop-timeout-ms", po::value(&stop_ms)->default_value(stop_ms),
            "when stopping, how long the child has after SIGTERM before SIGKILL");
    // clang-format on
    ParsedKeeperCommandLine r;
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(split, argv).options(desc).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::ostringstream s;
            s << desc;
            r.print = s.str();
            return r;
        }
        if (vm.count("version")) {
            r.print = std::string("memdomain-keeper ") + MEMDOMAIN_VERSION + "\n";
            return r;
        }
    } catch (const std::exception& e) {
        return make_error(std::string(e.what()) + " (see memdomain-keeper --help)", EINVAL);
    }
    if (split + 1 >= argc) return make_error("no command to run: memdomain-keeper [options] -- PROGRAM [ARGS...]", EINVAL);
    if (delay_ms < 1 || delay_ms > 3600 * 1000)
        return make_error("--restart-delay-ms " + std::to_string(delay_ms) + " is not between 1 and 3600000", EINVAL);
    if (stop_ms < 1 || stop_ms > 3600 * 1000)
        return make_error("--stop-timeout-ms " + std::to_string(stop_ms) + " is not between 1 and 3600000", EINVAL);
    // 0-2 are the child's too: the keeper marks its --ready-fd close-on-exec.
    if (o.ready_fd != -1 && o.ready_fd < 3)
        return make_error("--ready-fd " + std::to_string(o.ready_fd) + " must be 3 or more", EINVAL);
    o.restart_delay = std::chrono::milliseconds(delay_ms);
    o.stop_timeout = std::chrono::milliseconds(stop_ms);
    for (int i = split + 1; i < argc; ++i) o.command.emplace_back(argv[i]);
    r.run = std::move(o);
    return r;
}

}  // namespace memdomain::keeper
