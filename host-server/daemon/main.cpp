// memdomaind: wires the pieces together and runs the event loop. Nothing
// else lives here: config parsing, domains, protocol and access control are
// each in their own folder.
#include <signal.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/config_parser.h"
#include "control/control_server.h"
#include "io/event_loop.h"
#include "daemon/lifecycle.h"
#include "daemon/options.h"
#include "domain/domain_registry.h"
#include "persist/fd_store.h"
#include "persist/inherited_fds.h"
#include "placement/numa_topology.h"

using namespace memdomain;
using namespace memdomain::server;

namespace {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("memdomaind");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::trace);
}

// Each peer costs one socket plus `vectors` eventfds, and each of those is
// held by every other peer's queue only until sent: raise the soft limit to
// the hard one so big domains fit (the budget is documented in the README).
void raise_fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
}

Status prepare_socket_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("cannot create socket directory " + dir + ": " + ec.message(), ec.value());
    if (!std::filesystem::is_directory(dir)) return make_error(dir + " is not a directory", ENOTDIR);
    return {};
}

Result<placement::NumaTopology> load_topology(const DaemonOptions& o) {
    if (!o.numa_sysfs_root.empty()) return placement::NumaTopology::from_sysfs(o.numa_sysfs_root);
    return placement::NumaTopology::from_libnuma();
}

// SIGHUP: the file is read again; a broken file changes nothing.
void reload(const DaemonOptions& o, DomainRegistry& reg, control::ControlServer& ctl) {
    auto cfg = config::parse_config_file(o.config_path);
    if (!cfg) {
        spdlog::error("SIGHUP: {}; nothing changed", cfg.error().message);
        return;
    }
    const ReloadReport r = reg.reload(*cfg);
    auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
        return out.empty() ? std::string("none") : out;
    };
    spdlog::info("SIGHUP: reloaded {}: added {}; updated {}; removed {}; kept in use {}", o.config_path,
                 join(r.added), join(r.updated), join(r.removed), join(r.kept));
    for (const auto& w : r.warnings) spdlog::warn("SIGHUP: {}", w);
    if (auto st = ctl.apply_admin_group(::geteuid(), 0); !st)
        spdlog::warn("SIGHUP: control socket group not changed: {}", st.error().message);
}

int run(const DaemonOptions& o) {
    auto cfg = config::parse_config_file(o.config_path);
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
        return 1;
    }
    auto topology = load_topology(o);
    if (!topology) {
        std::fprintf(stderr, "NUMA topology: %s\n", topology.error().message.c_str());
        return 1;
    }
    if (o.check_config) {
        if (auto st = check_config(*cfg, &*topology); !st) {
            std::fprintf(stderr, "%s\n", st.error().message.c_str());
            return 1;
        }
        std::printf("%s: ok, %zu domain(s)\n", o.config_path.c_str(), cfg->domains.size());
        return 0;
    }
    setup_logging(o.log_level);
    raise_fd_limit();
    auto loop = EventLoop::create();
    auto sig = block_signals();
    if (!loop || !sig) {
        spdlog::error("{}", !loop ? loop.error().message : sig.error().message);
        return 1;
    }
    if (auto st = prepare_socket_dir(o.socket_dir); !st) {
        spdlog::error("{}", st.error().message);
        return 1;
    }
    // Memory kept by the service manager across a crash or an upgrade
    // (systemd's fd store, or memdomain-keeper), and the store for ours.
    auto inherited = persist::take_inherited_fds();
    if (!inherited) {
        spdlog::error("inherited descriptors: {}", inherited.error().message);
        return 1;
    }
    persist::FdStore store = persist::FdStore::from_environment();
    if (!store.enabled())
        spdlog::warn("no fd store ($NOTIFY_SOCKET unset): domain memory will not survive a restart of this process; "
                     "run under systemd (FileDescriptorStoreMax=) or memdomain-keeper");
    RegistryOptions ro;
    ro.socket_dir = o.socket_dir;
    ro.socket_mode = o.socket_mode;
    ro.store = &store;
    ro.topology = &*topology;
    ro.memory.bind_numa = o.numa_sysfs_root.empty();
    auto reg = DomainRegistry::create(*cfg, ro, *loop, std::move(inherited).value());
    if (!reg) {
        spdlog::error("{}", reg.error().message);
        return 1;
    }
    // The control socket answers for the registry, so it comes after it
    // (and goes before it); root's group and mode 0660, like the domains'
    // default: whoever may connect may read.
    control::ControlServer ctl(**reg, o.socket_dir, *loop);
    if (auto st = ctl.start(::geteuid(), 0, 0660); !st) {
        spdlog::error("control socket: {}", st.error().message);
        return 1;
    }
    auto sig_token = loop->add(sig->get(), EPOLLIN, [&](std::uint32_t) {
        while (auto signo = next_signal(sig->get())) {
            if (*signo == SIGHUP) {
                reload(o, **reg, ctl);
                continue;
            }
            spdlog::info("signal {}: shutting down", *signo);
            (void)announce_stopping();
            loop->stop();
        }
    });
    if (!sig_token) {
        spdlog::error("{}", sig_token.error().message);
        return 1;
    }
    spdlog::info("memdomaind {} ready: {} domain(s) in {}, control at {}", MEMDOMAIN_VERSION,
                 (*reg)->domains().size(), o.socket_dir, ctl.socket_path());
    if (auto st = announce_ready(o.ready_fd); !st) spdlog::warn("announcing readiness: {}", st.error().message);
    if (auto st = loop->run(); !st) {
        spdlog::error("{}", st.error().message);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto cl = parse_command_line(argc, argv);
    if (!cl) {
        std::fprintf(stderr, "memdomaind: %s\n", cl.error().message.c_str());
        return 2;
    }
    if (!cl->run) {
        std::fputs(cl->print.c_str(), stdout);
        return 0;
    }
    return run(*cl->run);
}
