// Builds QEMU's command line for tests and starts it through Process.
#include "qemu_process.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace memdomain::test {
namespace {

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string qemu_binary() {
    if (const char* env = std::getenv("MEMDOMAIN_QEMU"); env && *env) return executable(env) ? env : "";
    for (const char* p : {"/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"})
        if (executable(p)) return p;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (executable(dir + "/qemu-system-x86_64")) return dir + "/qemu-system-x86_64";
    }
    return "";
}

QemuProcess::QemuProcess(const QemuOptions& o) {
    argv_ = {qemu_binary(), "-accel",  "tcg",    "-nographic", "-nodefaults", "-display",
             "none",        "-S",      "-M",     o.machine,    "-m",          o.memory};
    if (!o.qtest_socket.empty()) {
        argv_.insert(argv_.end(), {"-qtest", "unix:" + o.qtest_socket, "-qtest-log", o.qtest_log});
    }
    argv_.insert(argv_.end(), o.args.begin(), o.args.end());
    Process::Options po;
    po.log_path = o.log_path;
    proc_ = Process(argv_, po);
}

std::string QemuProcess::command_line() const {
    std::string s;
    for (const auto& a : argv_) s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace memdomain::test
