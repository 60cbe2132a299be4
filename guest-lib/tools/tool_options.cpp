// Shared option handling for the guest tools.
#include "tool_options.h"

#include <cerrno>
#include <cstdio>

namespace memdomain::tools {

namespace po = boost::program_options;

void add_transport_options(po::options_description& desc, TransportOptions& t) {
    desc.add_options()
        ("socket-dir", po::value(&t.socket_dir), "socket directory (default $MEMDOMAIN_SOCKET_DIR, else /run/memdomain)")
        ("sysfs-root", po::value(&t.sysfs_root), "sysfs root for the pci transport (default $MEMDOMAIN_SYSFS_ROOT, else /sys)")
        ("transport", po::value(&t.transport), "auto | socket | pci (default auto)");
}

Result<OpenOptions> to_open_options(const TransportOptions& t) {
    OpenOptions o;
    if (t.transport == "auto")
        o.transport = TransportKind::Auto;
    else if (t.transport == "socket")
        o.transport = TransportKind::Socket;
    else if (t.transport == "pci")
        o.transport = TransportKind::Pci;
    else
        return make_error("unknown transport '" + t.transport + "' (auto, socket or pci)", EINVAL);
    o.socket_dir = t.socket_dir;
    o.sysfs_root = t.sysfs_root;
    return o;
}

int report(const char* tool, const Error& e) {
    std::fprintf(stderr, "%s: %s\n", tool, e.message.c_str());
    return e.sys == ENOENT ? kExitNotFound : kExitError;
}

}  // namespace memdomain::tools
