// memdomain's libvirt qemu hook, installed as /etc/libvirt/hooks/qemu.d/memdomain
// (install.sh). libvirt runs it as
//     memdomain VMNAME OPERATION SUBOPERATION EXTRA
// with the domain XML on stdin and only LC_ALL, PATH and HOME set. It acts on
//     prepare begin  (before QEMU starts): lease every memdomain the XML
//                    uses to the VM, or refuse the start (hook_actions.h);
//     release end    (after QEMU is gone): release the VM's leases;
// and exits 0 at once for everything else. A refusal is one line on stderr,
// which virsh start shows, and exit status 1. A VM whose XML names no
// memdomain passes without a socket connection or a config read.
// It never calls back into libvirt and never starts a process.
//
// For tests and by hand: memdomain --config FILE VMNAME OP SUBOP EXTRA reads
// FILE instead of /etc/memdomain/hook.conf.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>

#include "ctl/xml_doc.h"
#include "hook_actions.h"
#include "hook_config.h"
#include "vm_devices.h"

using namespace memdomain;

namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2;

// All of stdin (libvirt writes the whole XML and would see EPIPE if we left
// it unread), up to one byte past the limit.
std::string read_stdin() {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out.size() <= ctl::XmlDoc::kMaxXml) out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

int refuse(const std::string& line) {
    std::fprintf(stderr, "memdomain: %s\n", line.c_str());
    return kRefused;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = hook::kHookConfPath;
    int first = 1;
    if (argc > 2 && std::string_view(argv[1]) == "--config") {
        config_path = argv[2];
        first = 3;
    }
    if (argc - first < 3) {
        std::fprintf(stderr,
                     "usage: %s [--config FILE] VMNAME OPERATION SUBOPERATION [EXTRA] < domain.xml\n"
                     "(libvirt's qemu hook; see libvirt-hooks/README.md)\n",
                     argv[0]);
        return kUsage;
    }
    const std::string vm = argv[first], op = argv[first + 1], subop = argv[first + 2];
    const bool preparing = op == "prepare" && subop == "begin";
    const bool releasing = op == "release" && subop == "end";
    const std::string xml = read_stdin();
    if (!preparing && !releasing) return kOk;
    if (!hook::may_use_memdomains(xml)) return kOk;

    auto cfg = hook::load_hook_config(config_path);
    if (!cfg) return refuse("VM '" + vm + "': " + cfg.error().message);
    auto devices = hook::memdomain_devices(xml, cfg->socket_dir);
    if (!devices) {
        // A release never fails the VM's teardown: libvirt ignores it anyway.
        if (releasing) return kOk;
        return refuse("VM '" + vm + "': cannot read the domain XML libvirt passed: " + devices.error().message);
    }
    if (preparing) {
        const std::string why = hook::prepare(vm, *devices, *cfg);
        return why.empty() ? kOk : refuse(why);
    }
    if (devices->uses.empty()) return kOk;
    if (const std::string why = hook::release(vm, *cfg); !why.empty())
        std::fprintf(stderr, "memdomain: %s\n", why.c_str());
    return kOk;
}
