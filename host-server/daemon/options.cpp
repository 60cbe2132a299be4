#include "daemon/options.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>

#include "memdomain/common/names.h"

namespace po = boost::program_options;

namespace memdomain::server {

Result<ParsedCommandLine> parse_command_line(int argc, const char* const* argv) {
    DaemonOptions o;
    std::string mode = "0660", options_file;
    po::options_description desc(
        "memdomaind: serves named, hugepage-backed shared-memory domains to VMs (QEMU ivshmem),\n"
        "containers and processes.\n\nUsage: memdomaind [options]\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit")
        ("config,c", po::value(&o.config_path)->default_value(o.config_path), "domain config file")
        ("socket-dir,s", po::value(&o.socket_dir),
            "directory for <domain>.sock sockets (default: $MEMDOMAIN_SOCKET_DIR, else /run/memdomain)")
        ("socket-mode", po::value(&mode)->default_value(mode), "permission bits of the sockets of domains whose config has no socket mode (octal)")
        ("log-level,l", po::value(&o.log_level)->default_value(o.log_level), "trace|debug|info|warn|error")
        ("ready-fd", po::value(&o.ready_fd), "write READY and a newline to this fd once every socket listens")
        ("check-config", po::bool_switch(&o.check_config), "parse and check the config, then exit")
        ("numa-sysfs-root", po::value(&o.numa_sysfs_root),
            "read the NUMA topology from DIR/devices/system/node instead of the kernel (memory is then not bound)")
        ("options-file", po::value(&options_file), "read more options from this file (key = value lines)");
    // clang-format on
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
        if (vm.count("options-file")) {
            std::ifstream in(vm["options-file"].as<std::string>());
            if (!in) return make_error("cannot read options file '" + vm["options-file"].as<std::string>() + "'", ENOENT);
            po::store(po::parse_config_file(in, desc), vm);
        }
        po::notify(vm);
        ParsedCommandLine r;
        if (vm.count("help")) {
            std::ostringstream s;
            s << desc;
            r.print = s.str();
            return r;
        }
        if (vm.count("version")) {
            r.print = std::string("memdomaind ") + MEMDOMAIN_VERSION + "\n";
            return r;
        }
        std::size_t used = 0;
        unsigned long m = std::stoul(mode, &used, 8);
        if (used != mode.size() || m > 07777) return make_error("--socket-mode '" + mode + "' is not an octal mode", EINVAL);
        o.socket_mode = static_cast<mode_t>(m);
        static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
        if (std::find(std::begin(levels), std::end(levels), o.log_level) == std::end(levels))
            return make_error("--log-level '" + o.log_level + "' is not one of trace, debug, info, warn, error", EINVAL);
        o.socket_dir = resolve_socket_dir(o.socket_dir);
        r.run = o;
        return r;
    } catch (const std::exception& e) {
        return make_error(std::string(e.what()) + " (see memdomaind --help)", EINVAL);
    }
}

}  // namespace memdomain::server
